package io.spottrain.cli;

import java.util.Arrays;
import java.util.stream.Collectors;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** What starts a cluster's worker nodes: agent processes on this machine, or EC2 instances. */
enum LauncherKind {
    LOCAL("local"),
    EC2("ec2");

    final String label;

    LauncherKind(String label) {
        this.label = label;
    }

    /** picocli's reading of {@code --launcher}, naming the choices when the value is none of them. */
    static final class Converter implements ITypeConverter<LauncherKind> {
        @Override
        public LauncherKind convert(String value) {
            return Arrays.stream(values()).filter(k -> k.label.equals(value)).findFirst().orElseThrow(() -> new TypeConversionException(
                    "must be " + Arrays.stream(values()).map(k -> k.label).collect(Collectors.joining(" or ")) + ", got \"" + value + "\""));
        }
    }
}
