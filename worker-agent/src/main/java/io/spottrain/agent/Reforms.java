package io.spottrain.agent;

import io.spottrain.agent.AgentCommands.ParkTimedOut;
import io.spottrain.agent.AgentCommands.ReformTimedOut;
import io.spottrain.agent.supervision.ProcessSupervisor;
import io.spottrain.protocol.contract.Contract;
import io.spottrain.protocol.contract.ControlServer;
import io.spottrain.protocol.wire.AgentProtocol;
import java.time.Duration;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.slf4j.Logger;

/**
 * The agent's in-place re-forms (contract v2): a parked rank moves to its next generation in the same
 * process, restoring another step first where it holds one (a staged newcomer); a rank that does not
 * answer in time, exits instead, or cannot restore is replaced by a fresh process; a parked rank not
 * re-formed in time is stopped. The agent's actor calls these on its own thread.
 */
final class Reforms {
    private final String nodeId;
    private final TimerScheduler<AgentProtocol.Command> timers;
    private final ProcessSupervisor supervisor;
    private final Map<String, LiveRank> live;
    private final Duration stopGrace;
    private final Logger log;
    private final Consumer<AgentProtocol.StartGeneration> startFresh;
    private final BiConsumer<AgentProtocol.StartGeneration, LiveRank> restore;
    private final BiConsumer<ActorRef<AgentProtocol.Report>, AgentProtocol.Report> report;

    /**
     * @param live       the agent's rank process of each job (a replaced one leaves it)
     * @param startFresh starts a new process for a generation (restored first where it resumes)
     * @param restore    restores a generation's resume step into the local tier for a re-form, off the actor
     * @param report     sends a rank's report to the job manager (and keeps its status)
     */
    Reforms(String nodeId, TimerScheduler<AgentProtocol.Command> timers, ProcessSupervisor supervisor, Map<String, LiveRank> live,
            Duration stopGrace, Logger log, Consumer<AgentProtocol.StartGeneration> startFresh,
            BiConsumer<AgentProtocol.StartGeneration, LiveRank> restore,
            BiConsumer<ActorRef<AgentProtocol.Report>, AgentProtocol.Report> report) {
        this.nodeId = nodeId;
        this.timers = timers;
        this.supervisor = supervisor;
        this.live = live;
        this.stopGrace = stopGrace;
        this.log = log;
        this.startFresh = startFresh;
        this.restore = restore;
        this.report = report;
    }

    /**
     * The parked rank moves to the next generation: same process, new rank, world size and
     * rendezvous; if it holds another step than the generation resumes from (a staged newcomer),
     * that step is restored to its local tier first.
     */
    void reform(LiveRank r, AgentProtocol.StartGeneration m) {
        long was = r.generation();
        timers.cancel(new ParkTimedOut(r.jobId(), was));
        supervisor.rekey(m.jobId(), was, m.generation(), m.rank());
        log.info("job {} generation {} rank {}/{}: re-forming pid {} in place ({} generation {}), step {}", m.jobId(),
                m.generation(), m.rank(), m.worldSize(), r.process.pid(), r.standby ? "staged for" : "was", was, m.resumeStep());
        boolean staged = r.standby;
        r.assignment = m;
        r.state = LiveRank.State.REFORMING;
        r.standby = false;
        report.accept(m.replyTo(), new AgentProtocol.RankStarted(m.jobId(), m.generation(), m.rank(), nodeId, r.process.pid(),
                r.process.logFile().toString(), true));
        if (m.resumeStep() > 0 && m.resumeStep() != r.parkedStep) {
            // a staged newcomer whose trainer takes state over the ring skips the fetch when a member of its new generation
            // recorded the step (it parked holding it, or restores it from its own tier: it sends it over the re-formed ring)
            if (staged && r.ringState && m.peerDigests().keySet().stream().anyMatch(m.peerUrls()::contains)) {
                send(r, m, true);
                return;
            }
            restore.accept(m, r);
            return;
        }
        send(r, m, false);
    }

    /** Asks the parked process to re-form (its step is in place), with a deadline. */
    void send(LiveRank r, AgentProtocol.StartGeneration m, boolean stateOverRing) {
        if (r.state != LiveRank.State.REFORMING || r.assignment != m) return;
        var req = ControlServer.message(Contract.REFORM).put("generation", m.generation()).put("rank", m.rank())
                .put("worldSize", m.worldSize()).put("masterAddr", m.masterAddr()).put("masterPort", m.masterPort())
                .put("resumeStep", m.resumeStep());
        if (stateOverRing) req.put("stateOverRing", true);
        if (!supervisor.request(m.jobId(), m.generation(), req)) {
            fallback(r, "its control connection is gone");
            return;
        }
        timers.startSingleTimer(new ReformTimedOut(m.jobId(), m.generation()), Agent.REFORM_TIMEOUT);
    }

    /** A re-form that did not happen: the process is replaced by a fresh one (restored as any resumed rank). */
    void fallback(LiveRank r, String why) {
        var m = r.assignment;
        log.warn("job {} generation {} rank {}: in-place re-form of pid {} failed ({}); starting a fresh process",
                m.jobId(), m.generation(), m.rank(), r.process.pid(), why);
        timers.cancel(new ReformTimedOut(m.jobId(), m.generation()));
        r.state = LiveRank.State.ABANDONED;
        live.remove(m.jobId(), r);
        supervisor.kill(m.jobId(), m.generation());
        startFresh.accept(m);
    }

    /** The rank said it re-formed: its deadline is off. */
    void reformed(LiveRank r) {
        timers.cancel(new ReformTimedOut(r.jobId(), r.generation()));
    }

    void onReformTimeout(ReformTimedOut t) {
        var r = live.get(t.jobId());
        if (r == null || r.state != LiveRank.State.REFORMING || r.generation() != t.generation()) return;
        fallback(r, "no reformed within " + Agent.REFORM_TIMEOUT.toSeconds() + " s");
    }

    void onParkTimeout(ParkTimedOut t) {
        var r = live.get(t.jobId());
        if (r == null || r.generation() != t.generation()
                || (r.state != LiveRank.State.PARKED && r.state != LiveRank.State.PARKING && r.state != LiveRank.State.STAGING)) {
            return;
        }
        log.info("job {} rank parked since generation {} was not re-formed within {} s; stopping it", t.jobId(),
                t.generation(), Agent.PARK_TIMEOUT.toSeconds());
        supervisor.stop(t.jobId(), t.generation(), stopGrace);
    }
}
