package io.spottrain.checkpoint.remote;

import java.util.Locale;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;

/**
 * For S3-compatible servers that refuse headers they do not implement (S3Proxy 2.7 answers 501
 * "A header you provided implies functionality that is not implemented"): drops the SDK's
 * checksum headers and the multipart object-size hint, which change nothing in what is stored.
 * Only installed with {@code checksumsWhenRequired}, where no checksum is sent anyway.
 */
public final class CompatibleHeaders implements ExecutionInterceptor {
    @Override
    public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
        SdkHttpRequest request = context.httpRequest();
        SdkHttpRequest.Builder out = null;
        for (String h : request.headers().keySet()) {
            String name = h.toLowerCase(Locale.ROOT);
            if (name.startsWith("x-amz-checksum-") || name.equals("x-amz-sdk-checksum-algorithm") || name.equals("x-amz-mp-object-size")) {
                if (out == null) out = request.toBuilder();
                out.removeHeader(h);
            }
        }
        return out == null ? request : out.build();
    }
}
