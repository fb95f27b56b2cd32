package io.spottrain.coordinator.state;

class InMemoryStateStoreTest extends StateStoreContract {
    @Override
    StateStore open() {
        return new InMemoryStateStore();
    }

    @Override
    StateStore reopen(StateStore closed) {
        return closed; // nothing outlives the process; the instance stands in for "the same process"
    }
}
