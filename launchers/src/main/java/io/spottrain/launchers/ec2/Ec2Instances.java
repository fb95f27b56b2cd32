package io.spottrain.launchers.ec2;

import io.spottrain.coordinator.launch.NodeLauncher.LaunchException;
import java.util.HashMap;
import java.util.Optional;
import java.util.function.BiFunction;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;

/** One instance as EC2 describes it to this account, for an enrollment ({@link EnrollmentPolicy.Seen}). */
final class Ec2Instances {
    private Ec2Instances() {}

    /** Empty where EC2 knows no instance by that id (NotFound, Malformed); other refusals as {@code refused} words them. */
    static Optional<EnrollmentPolicy.Seen> describe(Ec2Client ec2, String instanceId, BiFunction<String, Ec2Exception, LaunchException> refused)
            throws LaunchException {
        try {
            var r = ec2.describeInstances(DescribeInstancesRequest.builder().instanceIds(instanceId).build());
            for (var res : r.reservations()) {
                for (var i : res.instances()) {
                    var tags = new HashMap<String, String>();
                    i.tags().forEach(t -> tags.put(t.key(), t.value()));
                    return Optional.of(new EnrollmentPolicy.Seen(i.state() == null ? "unknown" : i.state().nameAsString(), tags,
                            i.privateIpAddress(), i.iamInstanceProfile() == null ? null : i.iamInstanceProfile().arn(), i.subnetId()));
                }
            }
            return Optional.empty();
        } catch (Ec2Exception e) {
            String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
            if (code.startsWith("InvalidInstanceID")) return Optional.empty();
            throw refused.apply("DescribeInstances", e);
        } catch (SdkClientException e) {
            throw new LaunchException("DescribeInstances did not reach EC2: " + e.getMessage(), e);
        }
    }
}
