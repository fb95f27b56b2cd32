package io.spottrain.coordinator.state;

/** The contract in memory (a "restart" keeps the same instance: nothing survives a real one). */
class InMemoryStateStoreTest extends StateStoreContract {
    @Override
    StateStore open() {
        return new InMemoryStateStore();
    }

    @Override
    StateStore reopen(StateStore closed) {
        return closed;
    }
}
