package io.spottrain.protocol.contract;

/**
 * Names of the training-process contract (docs/training-contract.md): environment variables and
 * the line-delimited JSON messages exchanged over {@code SPOTTRAIN_CONTROL}.
 */
public final class Contract {
    private Contract() {}

    public static final String RANK = "RANK";
    public static final String WORLD_SIZE = "WORLD_SIZE";
    public static final String LOCAL_RANK = "LOCAL_RANK";
    public static final String MASTER_ADDR = "MASTER_ADDR";
    public static final String MASTER_PORT = "MASTER_PORT";
    public static final String JOB = "SPOTTRAIN_JOB";
    public static final String GENERATION = "SPOTTRAIN_GENERATION";
    public static final String CHECKPOINT_DIR = "SPOTTRAIN_CHECKPOINT_DIR";
    public static final String RESUME_STEP = "SPOTTRAIN_RESUME_STEP";
    /** Steps between checkpoints from the job spec (0: none, or auto: the agent asks). */
    public static final String CHECKPOINT_INTERVAL = "SPOTTRAIN_CHECKPOINT_INTERVAL";
    /** host:port of the agent's loopback control endpoint for this rank. */
    public static final String CONTROL = "SPOTTRAIN_CONTROL";
    /** The rank's secret for {@link #CONTROL}: its {@code hello} must carry it as {@code token}. */
    public static final String CONTROL_TOKEN = "SPOTTRAIN_CONTROL_TOKEN";
    /**
     * {@code 1}: a staged newcomer (contract v2): restore {@link #RESUME_STEP}, say {@code parked},
     * and wait for {@code reform} instead of joining a collective now.
     */
    public static final String STANDBY = "SPOTTRAIN_STANDBY";

    /**
     * Exit code of a rank that stopped before the end because it was asked to (a stop request, or
     * a stall it checkpointed): resumable, not a failure (sysexits' EX_TEMPFAIL).
     */
    public static final int EXIT_RESUMABLE = 75;

    // process -> agent
    public static final String HELLO = "hello";
    public static final String PROGRESS = "progress";
    public static final String CHECKPOINT_WRITTEN = "checkpoint";
    public static final String STALLED = "stalled";
    public static final String DONE = "done";
    /** Contract v2: parked after {@link #PARK}, holding {@code step} in memory, waiting for {@link #REFORM} or {@link #STOP}. */
    public static final String PARKED = "parked";
    /** Contract v2: re-formed its collective with the new members after {@link #REFORM}, training on from {@code step}. */
    public static final String REFORMED = "reformed";

    /** A {@code hello} capability (in {@code capabilities}): the rank can re-form in place (contract v2). */
    public static final String CAPABILITY_REFORM = "reform";
    /**
     * A {@code hello} capability: after a re-form the ranks share the resume step's state over their
     * new collective (the lowest rank that holds it sends it), so a staged newcomer re-forms without
     * fetching the step from a peer; its {@code reform} then says {@code stateOverRing: true}.
     */
    public static final String CAPABILITY_RING_STATE = "ring-state";

    // agent -> process
    public static final String CHECKPOINT_NOW = "checkpoint-now";
    public static final String STOP = "stop";
    /** Contract v2: like {@link #STOP} (collective, checkpoint the step), but keep the process and wait for {@link #REFORM}. */
    public static final String PARK = "park";
    /**
     * Contract v2: {@code generation, rank, worldSize, masterAddr, masterPort, resumeStep}: re-form and train on;
     * {@code stateOverRing} (with {@link #CAPABILITY_RING_STATE}): this rank does not hold {@code resumeStep} and takes it over
     * the re-formed collective from a rank that does.
     */
    public static final String REFORM = "reform";
}
