package io.spottrain.coordinator.api;

import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The operator console's static files ({@code /console}, {@code /console/assets/{file}}): one
 * page, a script and a style sheet from the classpath, all local (no external network). They hold
 * no data and no secret, so they need no token; every read and change the page makes is an API
 * call with the console session (cookie + CSRF header). Served with a strict content security
 * policy (own origin only, no inline script), no framing, no referrer, no caching.
 */
final class ConsoleRoutes {
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
    private static final Map<String, String> TYPES = Map.of("console.js", "text/javascript; charset=utf-8", "console.css",
            "text/css; charset=utf-8");

    private final byte[] page;
    private final Map<String, byte[]> assets;

    ConsoleRoutes() {
        page = read("index.html");
        assets = Map.of("console.js", read("console.js"), "console.css", read("console.css"));
    }

    void page(Context ctx) {
        serve(ctx, "text/html; charset=utf-8", page);
    }

    void asset(Context ctx) {
        String name = ctx.pathParam("file");
        byte[] body = assets.get(name);
        if (body == null) throw new HttpApi.ApiException(404, ApiError.of("no console file " + name));
        serve(ctx, TYPES.get(name), body);
    }

    private static void serve(Context ctx, String type, byte[] body) {
        ctx.header("Content-Security-Policy", CSP);
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header("Cache-Control", "no-store");
        ctx.status(HttpStatus.OK).contentType(type).result(body);
    }

    private static byte[] read(String name) {
        try (InputStream in = ConsoleRoutes.class.getResourceAsStream("/console/" + name)) {
            if (in == null) throw new IllegalStateException("the console's " + name + " is missing from the classpath");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
