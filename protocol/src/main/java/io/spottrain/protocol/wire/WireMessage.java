package io.spottrain.protocol.wire;

/**
 * Marker for every message that crosses a Pekko node boundary. {@code reference.conf} binds it to
 * Jackson JSON, so records (typed {@code ActorRef} fields included) serialize without annotations.
 */
public interface WireMessage {}
