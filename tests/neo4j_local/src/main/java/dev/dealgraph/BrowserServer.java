package dev.dealgraph;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * Serves Neo4j Browser (the static web app in the {@code org.neo4j.client:neo4j-browser} jar on the
 * class path, under {@code browser/}) over plain HTTP on 127.0.0.1, as Neo4j's own HTTP connector
 * does: {@code /browser/} is the app, and {@code /} answers a JSON request with the discovery
 * document that tells Browser where Bolt is, so it connects (over Bolt WebSocket) on its own.
 * Nothing but GET and HEAD of those paths is answered.
 */
final class BrowserServer {

    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"),
            Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"),
            Map.entry("json", "application/json"),
            Map.entry("svg", "image/svg+xml"),
            Map.entry("png", "image/png"),
            Map.entry("jpg", "image/jpeg"),
            Map.entry("gif", "image/gif"),
            Map.entry("ico", "image/x-icon"),
            Map.entry("woff", "font/woff"),
            Map.entry("woff2", "font/woff2"),
            Map.entry("ttf", "font/ttf"),
            Map.entry("eot", "application/vnd.ms-fontobject"),
            Map.entry("txt", "text/plain; charset=utf-8"),
            Map.entry("map", "application/json"));

    private final HttpServer server;

    private BrowserServer(HttpServer server) {
        this.server = server;
    }

    /** True when the Browser web app is on the class path (the pom puts it there). */
    static boolean available() {
        return BrowserServer.class.getClassLoader().getResource("browser/index.html") != null;
    }

    static BrowserServer start(String host, int port, String boltUri, String routingUri, String version)
            throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
        byte[] discovery = ("{\"bolt_routing\":\"" + routingUri + "\",\"bolt_direct\":\"" + boltUri
                + "\",\"neo4j_version\":\"" + version + "\",\"neo4j_edition\":\"community\"}")
                .getBytes(StandardCharsets.UTF_8);
        server.createContext("/", exchange -> {
            try (exchange) {
                handle(exchange, discovery);
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "neo4j-local-browser");
            t.setDaemon(true);
            return t;
        }));
        server.start();
        return new BrowserServer(server);
    }

    int port() {
        return server.getAddress().getPort();
    }

    void stop() {
        server.stop(0);
    }

    private static void handle(HttpExchange exchange, byte[] discovery) throws IOException {
        String method = exchange.getRequestMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            send(exchange, 405, "text/plain; charset=utf-8", "method not allowed\n".getBytes(StandardCharsets.UTF_8));
            return;
        }
        String path = exchange.getRequestURI().getPath();
        if (path.equals("/")) {
            String accept = exchange.getRequestHeaders().getFirst("Accept");
            if (accept != null && accept.contains("application/json")) {
                send(exchange, 200, "application/json", discovery);
            } else {
                exchange.getResponseHeaders().set("Location", "/browser/");
                send(exchange, 302, "text/plain; charset=utf-8", new byte[0]);
            }
            return;
        }
        if (path.equals("/browser")) {
            exchange.getResponseHeaders().set("Location", "/browser/");
            send(exchange, 302, "text/plain; charset=utf-8", new byte[0]);
            return;
        }
        if (!path.startsWith("/browser/") || path.contains("..") || path.contains("//")) {
            send(exchange, 404, "text/plain; charset=utf-8", "not found\n".getBytes(StandardCharsets.UTF_8));
            return;
        }
        String resource = path.substring(1);
        if (resource.endsWith("/")) {
            resource += "index.html";
        }
        byte[] body;
        try (InputStream in = BrowserServer.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                send(exchange, 404, "text/plain; charset=utf-8", "not found\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            body = in.readAllBytes();
        }
        String name = resource.substring(resource.lastIndexOf('/') + 1);
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        send(exchange, 200, TYPES.getOrDefault(ext, "application/octet-stream"), body);
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }
}
