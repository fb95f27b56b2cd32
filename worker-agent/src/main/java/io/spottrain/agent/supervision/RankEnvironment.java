package io.spottrain.agent.supervision;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a training process inherits from its agent: only variables a program needs to run and to
 * find its libraries and devices (paths, locale, CUDA/NCCL/OpenMP tuning), never the agent's own
 * credentials (S3 keys, API tokens, cloud keys) or anything else in its environment. The job's
 * own {@code env} and the contract's variables are added on top by the supervisor.
 */
public final class RankEnvironment {
    private RankEnvironment() {}

    /** Inherited by name. */
    static final Set<String> NAMES = Set.of("PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TERM",
            "HOSTNAME", "JAVA_HOME", "PYTHONPATH", "PYTHONHOME", "PYTHONUNBUFFERED", "VIRTUAL_ENV", "CONDA_PREFIX", "LD_LIBRARY_PATH",
            "CUDA_HOME", "CUDA_PATH", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "XDG_CACHE_HOME");

    /** Inherited by prefix (tuning of locales and numeric/GPU libraries; none of them carries secrets). */
    static final List<String> PREFIXES = List.of("LC_", "NCCL_", "OMP_", "MKL_", "OPENBLAS_", "TORCH_", "PYTORCH_", "CUBLAS_", "CUDNN_");

    /** The part of {@code agentEnv} a rank inherits. */
    public static Map<String, String> inherited(Map<String, String> agentEnv) {
        var out = new LinkedHashMap<String, String>();
        agentEnv.forEach((k, v) -> {
            if (NAMES.contains(k) || PREFIXES.stream().anyMatch(k::startsWith)) out.put(k, v);
        });
        return out;
    }
}
