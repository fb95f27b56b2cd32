package io.spottrain.launchers.ec2;

import java.util.Set;

/**
 * What an EC2 error code means to the launcher (pure): a capacity error marks that instance type and
 * zone pool unavailable for the config's pool cooldown and the next pool is tried; throttling backs
 * off and retries; auth and parameter errors go to the operator with AWS's message (retrying cannot
 * fix them); a dry run that would have succeeded says so.
 */
public final class Ec2Errors {
    private Ec2Errors() {}

    public enum Kind {
        /** No capacity in that pool now, or an account limit on it: try another pool, this one later. */
        CAPACITY,
        /** Too many requests: back off and retry the same request (same client token). */
        THROTTLING,
        /** Credentials, permissions or an expired token: the operator must act. */
        AUTH,
        /** The request itself is wrong (config): the operator must act. */
        PARAMETER,
        /** {@code DryRunOperation}: the request would have succeeded. */
        DRY_RUN_OK,
        /** Anything else (server errors included): retried with back-off a few times, then reported. */
        OTHER
    }

    private static final Set<String> CAPACITY = Set.of("InsufficientInstanceCapacity", "MaxSpotInstanceCountExceeded", "VcpuLimitExceeded",
            "UnfulfillableCapacity", "Unsupported", "InsufficientFreeAddressesInSubnet", "MaxFleetCountExceeded", "ReservationCapacityExceeded",
            "InsufficientHostCapacity", "InsufficientCapacity", "SpotMaxPriceTooLow", "InstanceLimitExceeded");
    private static final Set<String> THROTTLING = Set.of("RequestLimitExceeded", "Throttling", "ThrottlingException", "RequestThrottled");
    private static final Set<String> AUTH = Set.of("UnauthorizedOperation", "AuthFailure", "OptInRequired", "Blocked", "PendingVerification",
            "SignatureDoesNotMatch", "InvalidClientTokenId", "ExpiredToken", "RequestExpired");

    public static Kind classify(String code) {
        if (code == null || code.isBlank()) return Kind.OTHER;
        if (code.equals("DryRunOperation")) return Kind.DRY_RUN_OK;
        if (CAPACITY.contains(code)) return Kind.CAPACITY;
        if (THROTTLING.contains(code)) return Kind.THROTTLING;
        if (AUTH.contains(code)) return Kind.AUTH;
        if (code.startsWith("Invalid") || code.startsWith("Missing") || code.endsWith(".NotFound") || code.endsWith(".Malformed")
                || code.equals("UnknownParameter") || code.equals("InvalidParameterCombination")) {
            return Kind.PARAMETER;
        }
        return Kind.OTHER;
    }
}
