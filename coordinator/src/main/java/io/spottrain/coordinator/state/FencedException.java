package io.spottrain.coordinator.state;

/** A fenced write was refused: the fence's counter moved on (another job manager took over). Nothing was applied. */
public final class FencedException extends IllegalStateException {
    public FencedException(StateStore.Fence fence, long current) {
        super("fenced: " + fence.counter() + " is at epoch " + current + ", this writer holds epoch " + fence.epoch()
                + " (a newer job manager took over)");
    }
}
