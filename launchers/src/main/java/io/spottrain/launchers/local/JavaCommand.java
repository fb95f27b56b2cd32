package io.spottrain.launchers.local;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** How to start another JVM of spottrain on this machine: the running java, classpath and flags. */
public record JavaCommand(String javaBin, String classpath, List<String> jvmFlags) {

    public static final String MAIN_CLASS = "io.spottrain.cli.Main";

    /** Small, fast-starting JVMs: several agents and trainers share 2 cores in a local cluster. */
    public static final List<String> AGENT_FLAGS = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
            "-Xmx256m", "-Djava.net.preferIPv4Stack=true");

    public static final List<String> COORDINATOR_FLAGS = List.of("-XX:+UseSerialGC", "-Xss512k", "-Xmx512m",
            "-Djava.net.preferIPv4Stack=true");

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

    public JavaCommand withFlags(List<String> flags) {
        return new JavaCommand(javaBin, classpath, List.copyOf(flags));
    }
}
