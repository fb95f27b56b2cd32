package io.spottrain.checkpoint.remote;

/**
 * S3 requests made by an object store, by how S3 prices them: {@code put} (PUT, COPY, POST, LIST:
 * uploads, multipart parts and their create/complete, listings) and {@code get} (GET, HEAD and all
 * other requests but DELETE, which is free). Every HTTP attempt counts: a retried request is billed
 * again.
 */
public record RequestCounts(long put, long get) {
    public static final RequestCounts NONE = new RequestCounts(0, 0);

    public RequestCounts minus(RequestCounts earlier) {
        return new RequestCounts(put - earlier.put, get - earlier.get);
    }

    public boolean isEmpty() {
        return put == 0 && get == 0;
    }

    /**
     * The pricing class of an S3 request, from its HTTP method and the SDK's operation name: a LIST (an HTTP GET) is priced
     * as a PUT; otherwise DELETE is free (null; an aborted multipart upload too), PUT and POST are PUT-class (uploads, parts,
     * create and complete, restores of archived objects), GET and HEAD GET-class.
     */
    static String classOf(String method, String operation) {
        if (operation != null && operation.startsWith("List")) return "put";
        if (method == null) return "get";
        return switch (method) {
            case "DELETE" -> null;
            case "PUT", "POST" -> "put";
            default -> "get";
        };
    }
}
