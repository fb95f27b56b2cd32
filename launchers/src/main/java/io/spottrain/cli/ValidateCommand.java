package io.spottrain.cli;

import io.spottrain.client.CliException;
import io.spottrain.protocol.json.Json;
import io.spottrain.protocol.spec.FieldError;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.JobSpecException;
import io.spottrain.protocol.spec.JobSpecParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "validate", description = "Check a job spec file; print every error. Exit 0 when valid, 1 when not.")
final class ValidateCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "job spec (YAML)")
    Path file;

    @Mixin
    Options.Output output;

    @Override
    public Integer call() {
        String yaml = read(file);
        List<FieldError> errors;
        JobSpec spec = null;
        try {
            spec = JobSpecParser.parse(yaml);
            errors = List.of();
        } catch (JobSpecException e) {
            errors = e.errors();
        }
        if (output.json()) {
            var out = new LinkedHashMap<String, Object>();
            out.put("file", file.toString());
            out.put("valid", errors.isEmpty());
            out.put("errors", errors);
            if (spec != null) out.put("spec", spec);
            System.out.println(Json.pretty(out));
        } else if (errors.isEmpty()) {
            System.out.println(file + ": valid (job " + spec.metadata().name() + ", workers " + spec.spec().workers().min()
                    + ".." + spec.spec().workers().max() + ", placement " + spec.spec().placement().market().label() + ")");
        } else {
            System.out.println(file + ": " + errors.size() + (errors.size() == 1 ? " error" : " errors"));
            errors.forEach(e -> System.out.println("  " + e));
        }
        return errors.isEmpty() ? 0 : 1;
    }

    /** The file's text; a missing or unreadable file is a one-line error. */
    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new CliException("cannot read " + file + ": no such file");
        } catch (IOException e) {
            throw new CliException("cannot read " + file + ": " + (Files.isDirectory(file) ? "it is a directory" : e.getMessage()));
        }
    }
}
