package io.spottrain.checkpoint.remote;

import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/** Counts the S3 client's HTTP requests (each attempt, retries too, before it is sent) by pricing class ({@link RequestCounts#classOf}). */
public final class RequestCounter implements ExecutionInterceptor {
    private final AtomicLong put = new AtomicLong();
    private final AtomicLong get = new AtomicLong();

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        String kind = RequestCounts.classOf(context.httpRequest().method().name(), attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME));
        if ("put".equals(kind)) put.incrementAndGet();
        else if ("get".equals(kind)) get.incrementAndGet();
    }

    public RequestCounts counts() {
        return new RequestCounts(put.get(), get.get());
    }
}
