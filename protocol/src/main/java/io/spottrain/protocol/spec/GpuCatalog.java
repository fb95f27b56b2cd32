package io.spottrain.protocol.spec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The GPU of each EC2 GPU instance family (every size of a family has the same GPU model): model
 * and memory per GPU, the memory as AWS lists it for its accelerated computing instances (its
 * figure for H200 is 141, i.e. GB; the others are whole GiB). What
 * {@code spec.placement.gpuModels} and {@code minGpuMemoryGiB} are matched against: a node whose
 * instance type is not here has no known GPU, and a job that asks for one does not run there.
 * Add a family here when AWS adds one.
 */
public final class GpuCatalog {

    /** A GPU model and its memory in GiB. */
    public record Gpu(String model, int memoryGiB) {}

    private static final Map<String, Gpu> FAMILIES = new LinkedHashMap<>();

    static {
        FAMILIES.put("g4dn", new Gpu("T4", 16));
        FAMILIES.put("g5g", new Gpu("T4G", 16));
        FAMILIES.put("g5", new Gpu("A10G", 24));
        FAMILIES.put("g6", new Gpu("L4", 24));
        FAMILIES.put("g6e", new Gpu("L40S", 48));
        FAMILIES.put("p3", new Gpu("V100", 16));
        FAMILIES.put("p3dn", new Gpu("V100", 32));
        FAMILIES.put("p4d", new Gpu("A100", 40));
        FAMILIES.put("p4de", new Gpu("A100", 80));
        FAMILIES.put("p5", new Gpu("H100", 80));
        FAMILIES.put("p5e", new Gpu("H200", 141));
        FAMILIES.put("p5en", new Gpu("H200", 141));
    }

    private GpuCatalog() {}

    /** The GPU of an instance type ({@code g5.xlarge}: A10G, 24 GiB), if its family is known. */
    public static Optional<Gpu> of(String instanceType) {
        if (instanceType == null) return Optional.empty();
        int dot = instanceType.indexOf('.');
        return Optional.ofNullable(FAMILIES.get((dot < 0 ? instanceType : instanceType.substring(0, dot)).toLowerCase(Locale.ROOT)));
    }

    /** Whether a node of {@code instanceType} has one of {@code models} (empty: any) with at least {@code minMemoryGiB} (0: any). */
    public static boolean satisfies(String instanceType, List<String> models, int minMemoryGiB) {
        if (models.isEmpty() && minMemoryGiB <= 0) return true;
        var gpu = of(instanceType);
        return gpu.isPresent() && (models.isEmpty() || models.contains(gpu.get().model())) && gpu.get().memoryGiB() >= minMemoryGiB;
    }

    /** Every model the catalog knows, in its order, each once. */
    public static List<String> models() {
        return FAMILIES.values().stream().map(Gpu::model).distinct().toList();
    }

    /** The catalog's spelling of {@code name} (case-insensitive), if it is a known model. */
    public static Optional<String> model(String name) {
        return models().stream().filter(m -> m.equalsIgnoreCase(name)).findFirst();
    }
}
