package io.spottrain.coordinator.jobs;

/** The innermost cause of a failure, as one line for events, replies and logs. */
final class Causes {
    private Causes() {}

    static String root(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }
}
