package io.spottrain.coordinator.state;

import org.apache.ignite.IgniteLogger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Ignite's log through SLF4J (Ignite 2.18 has no ignite-slf4j module on Central). */
final class IgniteSlf4jLogger implements IgniteLogger {
    private final Logger log;

    IgniteSlf4jLogger(Logger log) {
        this.log = log;
    }

    @Override
    public IgniteLogger getLogger(Object ctgr) {
        String name = ctgr == null ? "org.apache.ignite" : ctgr instanceof Class<?> c ? c.getName() : ctgr.toString();
        return new IgniteSlf4jLogger(LoggerFactory.getLogger(name));
    }

    @Override
    public void trace(String msg) {
        log.trace(msg);
    }

    @Override
    public void debug(String msg) {
        log.debug(msg);
    }

    @Override
    public void info(String msg) {
        log.info(msg);
    }

    @Override
    public void warning(String msg, Throwable e) {
        log.warn(msg, e);
    }

    @Override
    public void error(String msg, Throwable e) {
        log.error(msg, e);
    }

    @Override
    public boolean isTraceEnabled() {
        return log.isTraceEnabled();
    }

    @Override
    public boolean isDebugEnabled() {
        return log.isDebugEnabled();
    }

    @Override
    public boolean isInfoEnabled() {
        return log.isInfoEnabled();
    }

    @Override
    public boolean isQuiet() {
        return !log.isInfoEnabled();
    }

    @Override
    public String fileName() {
        return null;
    }
}
