package io.spottrain.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The port an agent offers with its heartbeats: one generation each, never one a server holds, never an ephemeral one. */
class RendezvousOfferTest {
    final RendezvousOffer offer = new RendezvousOffer("127.0.0.1", LoggerFactory.getLogger(RendezvousOfferTest.class));

    @Test
    void thePortOfferedStaysUntilARank0StartsOnItThenAnotherIsOffered() {
        int port = offer.current();
        assertTrue(port > 0);
        assertEquals(port, offer.current(), "the same port with every heartbeat");
        offer.started(port + 1); // a rank 0 on a port asked for: not this one
        assertEquals(port, offer.current());
        offer.started(port);
        assertNotEquals(port, offer.current(), "used by a rank 0: another is offered");
    }

    @Test
    void aPortAskedForInsteadOfTheOfferRenewsTheOffer() {
        int port = offer.current();
        offer.renew();
        assertNotEquals(port, offer.current());
    }

    @Test
    void aPortAServerTookIsReplacedBeforeItIsOfferedAgain() throws Exception {
        int port = offer.current();
        try (var server = new ServerSocket()) {
            server.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
            int other = offer.current();
            assertNotEquals(port, other, "a port a server holds is replaced");
            assertTrue(other > 0);
        }
    }

    @Test
    void aHostThatDoesNotResolveOffersNothing() {
        var none = new RendezvousOffer("no-such-host.invalid", LoggerFactory.getLogger(RendezvousOfferTest.class));
        assertEquals(0, none.current());
    }
}
