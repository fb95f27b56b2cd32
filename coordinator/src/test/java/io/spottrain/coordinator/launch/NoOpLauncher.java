package io.spottrain.coordinator.launch;

import java.util.List;

/** A launcher for actor tests: it launches what a test's override says and stops, kills and lists nothing. */
public abstract class NoOpLauncher implements NodeLauncher {
    @Override
    public void stop(String nodeId) {}

    @Override
    public void kill(String nodeId) {}

    @Override
    public List<LaunchedNode> nodes() {
        return List.of();
    }

    @Override
    public void close() {}
}
