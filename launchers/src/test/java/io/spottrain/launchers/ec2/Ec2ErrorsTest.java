package io.spottrain.launchers.ec2;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spottrain.launchers.ec2.Ec2Errors.Kind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What each EC2 error code makes the launcher do. */
class Ec2ErrorsTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "InsufficientInstanceCapacity, CAPACITY", "MaxSpotInstanceCountExceeded, CAPACITY", "VcpuLimitExceeded, CAPACITY",
        "UnfulfillableCapacity, CAPACITY", "Unsupported, CAPACITY", "InsufficientFreeAddressesInSubnet, CAPACITY",
        "MaxFleetCountExceeded, CAPACITY", "ReservationCapacityExceeded, CAPACITY",
        "RequestLimitExceeded, THROTTLING", "Throttling, THROTTLING",
        "UnauthorizedOperation, AUTH", "AuthFailure, AUTH", "OptInRequired, AUTH",
        "InvalidParameterValue, PARAMETER", "InvalidLaunchTemplateName.NotFoundException, PARAMETER", "InvalidSubnetID.NotFound, PARAMETER",
        "MissingParameter, PARAMETER", "InvalidParameterCombination, PARAMETER",
        "DryRunOperation, DRY_RUN_OK",
        "InternalError, OTHER", "ServiceUnavailable, OTHER", "'', OTHER"
    })
    void classify(String code, Kind kind) {
        assertEquals(kind, Ec2Errors.classify(code));
    }
}
