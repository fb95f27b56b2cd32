package io.spottrain.launchers.local;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** How to start another JVM of spottrain on this machine: the running java, classpath and flags. */
public record JavaCommand(String javaBin, String classpath, List<String> jvmFlags) {

    public static final String MAIN_CLASS = "io.spottrain.cli.Main";

    /**
     * Small JVMs: several agents and trainers share 2 cores in a local cluster. Not C1-only
     * ({@code -XX:TieredStopAtLevel=1}): an agent hashes every checkpoint byte it uploads or
     * restores, and SHA-256 runs at ~110 MB/s without C2's intrinsic vs ~1,400 MB/s with it. {@code MetaspaceSize}: the class
     * metadata that first triggers a full collection (default ~21 MB); an agent loads more than that, and each time it grew past
     * the mark a full collection stopped the JVM, 130-750 ms in the scale bench's host JVMs, mid-run (docs/benchmarks.md).
     */
    public static final List<String> AGENT_FLAGS = List.of("-XX:+UseSerialGC", "-Xss512k", "-Xmx256m", "-XX:MetaspaceSize=96m",
            "-Djava.net.preferIPv4Stack=true");

    /** What embedded Ignite needs on Java 17 in every JVM that runs it (STACK.md; same list as the POM's ignite.opens). */
    public static final List<String> IGNITE_OPENS = List.of(
            "--add-opens=java.base/jdk.internal.access=ALL-UNNAMED",
            "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
            "--add-opens=java.base/sun.reflect.generics.reflectiveObjects=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
            "--add-opens=java.base/java.math=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.time=ALL-UNNAMED",
            "--add-opens=java.base/java.text=ALL-UNNAMED",
            "--add-opens=java.management/com.sun.jmx.mbeanserver=ALL-UNNAMED",
            "--add-opens=jdk.internal.jvmstat/sun.jvmstat.monitor=ALL-UNNAMED",
            "--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED",
            "--add-opens=java.sql/java.sql=ALL-UNNAMED",
            "--add-opens=java.management/sun.management=ALL-UNNAMED",
            "--add-opens=java.desktop/java.awt.font=ALL-UNNAMED");

    public static final List<String> COORDINATOR_FLAGS = coordinatorFlags();

    private static List<String> coordinatorFlags() {
        // MetaspaceSize: as for agents; the coordinator loads Ignite, Pekko, Jetty and Jackson (full collections at each mark)
        var f = new ArrayList<>(List.of("-XX:+UseSerialGC", "-Xss512k", "-Xmx512m", "-XX:MetaspaceSize=160m",
                "-Djava.net.preferIPv4Stack=true"));
        f.addAll(IGNITE_OPENS);
        return List.copyOf(f);
    }

    /** The JVM and classpath this process runs on. */
    public static JavaCommand current(List<String> flags) {
        return new JavaCommand(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                System.getProperty("java.class.path"), List.copyOf(flags));
    }

    public List<String> argv(List<String> args) {
        var argv = new ArrayList<String>();
        argv.add(javaBin);
        argv.addAll(jvmFlags);
        argv.add("-cp");
        argv.add(classpath);
        argv.add(MAIN_CLASS);
        argv.addAll(args);
        return argv;
    }

    public JavaCommand withClasspath(String classpath) {
        return new JavaCommand(javaBin, classpath, jvmFlags);
    }

    public JavaCommand withFlags(List<String> flags) {
        return new JavaCommand(javaBin, classpath, List.copyOf(flags));
    }

    /** The variable whose whitespace-separated JVM flags every JVM of a local cluster gets after its own (agents too). */
    public static final String EXTRA_FLAGS_ENV = "SPOTTRAIN_JVM_OPTS";

    /**
     * {@code flags} and then those of {@value #EXTRA_FLAGS_ENV} in this process's environment (which the coordinator's
     * agents inherit). The test suite sets {@code -XX:TieredStopAtLevel=1} there: its clusters live a minute, and C2
     * compiling them cost about half of each cluster's start on 2 cores (docs/benchmarks.md).
     */
    public JavaCommand withClusterFlags(List<String> flags) {
        var all = new ArrayList<>(flags);
        all.addAll(extraFlags(System.getenv(EXTRA_FLAGS_ENV)));
        return withFlags(all);
    }

    static List<String> extraFlags(String value) {
        return value == null || value.isBlank() ? List.of() : List.of(value.strip().split("\\s+"));
    }
}
