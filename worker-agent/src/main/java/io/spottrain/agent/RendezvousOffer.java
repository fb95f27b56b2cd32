package io.spottrain.agent;

import io.spottrain.agent.supervision.RendezvousPorts;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.slf4j.Logger;

/**
 * The rendezvous port (MASTER_PORT) this node offers with its heartbeats, so that the job manager
 * can start a generation whose rank 0 is here without first asking for a port (a round trip to
 * this agent per generation). Each port is offered for one generation: once a rank 0 is started
 * on it, the next heartbeat offers another (the job manager also takes it only once). The port is
 * probed again before every heartbeat offers it (a server that bound it meanwhile makes it
 * replaced), and it comes from outside the kernel's ephemeral range only: where that range is
 * unknown or nothing is free there, nothing is offered and generations ask for a port as before.
 * Owned by the agent's actor.
 */
final class RendezvousOffer {
    private final InetAddress addr;
    private int port;
    private int previous;

    /** {@code host} is resolved once, here (not on every heartbeat): a host that does not resolve offers nothing. */
    RendezvousOffer(String host, Logger log) {
        InetAddress a = null;
        try {
            a = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            log.warn("no rendezvous ports offered: {} does not resolve ({}); generations ask for one instead", host, e.getMessage());
        }
        this.addr = a;
    }

    /** The port to offer now; 0 when none. */
    int current() {
        if (addr == null) return 0;
        if (port != 0 && !RendezvousPorts.bindable(addr, port)) renew();
        // another port than the last (the job manager takes a port only once); random picks, so a repeat is rare
        for (int i = 0; i < 3 && (port == 0 || port == previous); i++) port = RendezvousPorts.freeOutsideEphemeral(addr);
        return port;
    }

    /**
     * The job manager asked for a port instead of taking the one offered (it had none from this node yet, or it took this one
     * for a generation that never started here): the next heartbeat offers another, which it will take.
     */
    void renew() {
        if (port != 0) previous = port;
        port = 0;
    }

    /** A rank 0 was started with {@code masterPort}: if it is the port offered, the next heartbeat offers another. */
    void started(int masterPort) {
        if (masterPort == port) renew();
    }
}
