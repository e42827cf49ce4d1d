package dev.dealgraph;

import java.io.BufferedWriter;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import java.time.Duration;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Result;
import org.neo4j.graphdb.Transaction;
import org.neo4j.internal.helpers.HostnamePort;
import org.neo4j.io.ByteUnit;
import org.neo4j.kernel.internal.GraphDatabaseAPI;
import org.neo4j.logging.NullLogProvider;

/**
 * A throwaway Neo4j Community server for tests: Bolt only (and Neo4j Browser over HTTP with --browser-port),
 * on 127.0.0.1, auth off (or on with --password).
 *
 * <p>Prints one line to stdout, {@code NEO4J_READY bolt://127.0.0.1:PORT} (after a {@code NEO4J_BROWSER}
 * line with --browser-port), once the database
 * answers {@code RETURN 1} and the Bolt port completes a protocol handshake. Everything else goes to
 * stderr. Exits (shutting the database down and deleting a temporary home) on SIGTERM/SIGINT and
 * when its stdin reaches end-of-file, so a test run that dies cannot leave this JVM behind.
 *
 * <pre>
 * Options:
 *   --home DIR          database home (created if missing, kept on exit); default: a temp dir, deleted on exit
 *   --port N            Bolt port on 127.0.0.1; default 0 = any free port
 *   --page-cache SIZE   page cache, e.g. 64m (default 64m)
 *   --tx-memory SIZE    memory for all running transactions, e.g. 512m (default 512m; 0 = no limit)
 *   --import-dir DIR    root for LOAD CSV file:/// URLs (default: HOME/import)
 *   --conf KEY=VALUE    any other neo4j.conf setting (repeatable)
 *   --password PASS     turn auth on, with user neo4j and this password (8+ characters); default: auth off
 *   --ignore-stdin      do not exit at stdin end-of-file (for running in the background by hand)
 *   --browser-port N    also serve Neo4j Browser over HTTP on 127.0.0.1:N (0 = any free port), printing
 *                       {@code NEO4J_BROWSER http://127.0.0.1:N/browser/} to stdout before the ready line
 * </pre>
 */
public final class Neo4jLocal {

    private static final String HOST = "127.0.0.1";

    private static volatile BrowserServer browser;

    private Neo4jLocal() {}

    public static void main(String[] args) throws Exception {
        // Keep stdout for the ready line only: anything the database prints goes to stderr.
        PrintStream readyOut = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(System.err);

        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("neo4j-local: " + e.getMessage());
            System.exit(2);
            return;
        }

        Path home = options.home != null ? options.home : Files.createTempDirectory("neo4j-local-");
        boolean deleteHome = options.home == null;
        Files.createDirectories(home);
        Path importDir = options.importDir != null ? options.importDir : home.resolve("import");
        Files.createDirectories(importDir);

        AtomicBoolean stopped = new AtomicBoolean(false);
        DatabaseManagementService[] holder = new DatabaseManagementService[1];
        Thread shutdown = new Thread(() -> stop(stopped, holder, home, deleteHome), "neo4j-local-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdown);

        if (!options.ignoreStdin) {
            watchStdin();
        }

        long started = System.nanoTime();
        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(home);
        if (!options.extraConf.isEmpty()) {
            builder.loadPropertiesFromFile(writeExtraConf(home, options.extraConf));
        }
        builder
                .setUserLogProvider(NullLogProvider.getInstance())
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(HOST, options.port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress(HOST, options.port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, options.password != null)
                .setConfig(GraphDatabaseSettings.pagecache_memory, options.pageCache)
                .setConfig(GraphDatabaseSettings.memory_transaction_global_max_size, options.txMemory)
                .setConfig(GraphDatabaseSettings.allow_file_urls, true)
                .setConfig(GraphDatabaseSettings.load_csv_file_url_root, importDir.toAbsolutePath())
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                .setConfig(GraphDatabaseSettings.debug_log_enabled, false)
                .setConfig(GraphDatabaseSettings.log_queries, GraphDatabaseSettings.LogQueryLevel.OFF)
                // Netty's default graceful close waits seconds for a quiet period nobody needs here.
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(2));

        DatabaseManagementService dbms = builder.build();
        synchronized (holder) {
            holder[0] = dbms;
        }
        if (stopped.get()) {
            // A signal or stdin EOF arrived while the database was starting.
            stop(new AtomicBoolean(false), holder, home, deleteHome);
            return;
        }

        if (options.password != null) {
            // Embedded transactions bypass auth, so the system database takes the password directly.
            GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
            try (Transaction tx = system.beginTx()) {
                tx.execute("ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                        Map.of("password", options.password)).close();
                tx.commit();
            }
        }

        GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        try (Transaction tx = db.beginTx(); Result result = tx.execute("RETURN 1 AS one")) {
            Object one = result.next().get("one");
            if (!Long.valueOf(1L).equals(one)) {
                throw new IllegalStateException("RETURN 1 gave " + one);
            }
            tx.commit();
        }

        HostnamePort bolt = ((GraphDatabaseAPI) db)
                .getDependencyResolver()
                .resolveDependency(ConnectorPortRegister.class)
                .getLocalAddress(ConnectorType.BOLT);
        if (bolt == null) {
            throw new IllegalStateException("the Bolt connector did not register a port");
        }
        int port = bolt.getPort();
        boltHandshake(port);

        String version = neo4jVersion(db);
        if (options.browserPort >= 0) {
            if (!BrowserServer.available()) {
                throw new IllegalStateException("--browser-port: the Neo4j Browser jar is not on the class path");
            }
            browser = BrowserServer.start(HOST, options.browserPort,
                    "bolt://" + HOST + ":" + port, "neo4j://" + HOST + ":" + port, version);
            readyOut.println("NEO4J_BROWSER http://" + HOST + ":" + browser.port() + "/browser/");
        }

        long millis = (System.nanoTime() - started) / 1_000_000;
        System.err.printf("neo4j-local: Neo4j %s up in %d ms, home %s%n", version, millis, home);
        readyOut.println("NEO4J_READY bolt://" + HOST + ":" + port);
        readyOut.flush();

        // The main thread has nothing left to do; the JVM lives on in Neo4j's non-daemon threads
        // until a signal or stdin EOF calls System.exit.
    }

    private static void watchStdin() {
        Thread watcher = new Thread(() -> {
            InputStream in = System.in;
            byte[] buffer = new byte[256];
            try {
                while (in.read(buffer) != -1) {
                    // Input is ignored; only end-of-file matters.
                }
            } catch (IOException e) {
                // A broken stdin means the parent is gone, same as EOF.
            }
            System.err.println("neo4j-local: stdin closed, shutting down");
            System.exit(0);
        }, "neo4j-local-stdin");
        watcher.setDaemon(true);
        watcher.start();
    }

    private static void stop(AtomicBoolean stopped, DatabaseManagementService[] holder, Path home, boolean deleteHome) {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        BrowserServer http = browser;
        if (http != null) {
            http.stop();
        }
        DatabaseManagementService dbms;
        synchronized (holder) {
            dbms = holder[0];
        }
        if (dbms == null) {
            // Still starting: main() sees `stopped` and shuts down once build() returns; the JVM
            // may exit first, which is fine for a throwaway store.
            return;
        }
        try {
            dbms.shutdown();
        } catch (RuntimeException e) {
            System.err.println("neo4j-local: shutdown failed: " + e);
        }
        if (deleteHome) {
            deleteTree(home);
        }
        System.err.println("neo4j-local: stopped");
    }

    /** Checks that something on the port speaks Bolt (the version negotiation succeeds). */
    private static void boltHandshake(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, port), 10_000);
            socket.setSoTimeout(10_000);
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            out.writeInt(0x6060B017);
            // Offer Bolt 5.8 down to 5.0 (one range entry), then 4.4, 4.3.
            out.writeInt(0x00080805);
            out.writeInt(0x00000404);
            out.writeInt(0x00000304);
            out.writeInt(0x00000000);
            out.flush();
            int agreed = new DataInputStream(socket.getInputStream()).readInt();
            if (agreed == 0) {
                throw new IOException("Bolt handshake on port " + port + " agreed no version");
            }
        }
    }

    private static String neo4jVersion(GraphDatabaseService db) {
        try (Transaction tx = db.beginTx();
                Result result = tx.execute("CALL dbms.components() YIELD versions RETURN versions[0] AS v")) {
            return String.valueOf(result.next().get("v"));
        } catch (RuntimeException e) {
            return "?";
        }
    }

    private static Path writeExtraConf(Path home, List<String> settings) throws IOException {
        Path conf = home.resolve("neo4j-local.conf");
        try (Writer w = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(conf), StandardCharsets.UTF_8))) {
            for (String line : settings) {
                w.write(line);
                w.write('\n');
            }
        }
        return conf;
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // Best effort: a leftover temp file is harmless.
                }
            });
        } catch (IOException e) {
            System.err.println("neo4j-local: could not delete " + root + ": " + e);
        }
    }

    private static final class Options {
        Path home;
        Path importDir;
        int port = 0;
        long pageCache = ByteUnit.mebiBytes(64);
        long txMemory = ByteUnit.mebiBytes(512);
        boolean ignoreStdin;
        int browserPort = -1;
        String password;
        final List<String> extraConf = new ArrayList<>();

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                switch (arg) {
                    case "--home" -> o.home = Paths.get(value(args, ++i, arg));
                    case "--import-dir" -> o.importDir = Paths.get(value(args, ++i, arg));
                    case "--port" -> o.port = Integer.parseInt(value(args, ++i, arg));
                    case "--page-cache" -> o.pageCache = size(value(args, ++i, arg));
                    case "--tx-memory" -> o.txMemory = size(value(args, ++i, arg));
                    case "--conf" -> {
                        String kv = value(args, ++i, arg);
                        if (!kv.contains("=")) {
                            throw new IllegalArgumentException("--conf wants KEY=VALUE, got " + kv);
                        }
                        o.extraConf.add(kv);
                    }
                    case "--password" -> {
                        o.password = value(args, ++i, arg);
                        if (o.password.length() < 8) {
                            throw new IllegalArgumentException("--password needs at least 8 characters");
                        }
                    }
                    case "--ignore-stdin" -> o.ignoreStdin = true;
                    case "--browser-port" -> {
                        o.browserPort = Integer.parseInt(value(args, ++i, arg));
                        if (o.browserPort < 0 || o.browserPort > 65535) {
                            throw new IllegalArgumentException("--browser-port wants 0-65535");
                        }
                    }
                    case "-h", "--help" -> {
                        System.err.println("usage: neo4j-local [--home DIR] [--port N] [--page-cache 64m] "
                                + "[--tx-memory 512m] [--import-dir DIR] [--conf KEY=VALUE]... [--password PASS] [--ignore-stdin] "
                                + "[--browser-port N]");
                        System.exit(0);
                    }
                    default -> throw new IllegalArgumentException("unknown option " + arg);
                }
            }
            return o;
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args[i];
        }

        private static long size(String text) {
            Map<Character, Long> units = Map.of('k', 1L << 10, 'm', 1L << 20, 'g', 1L << 30);
            String t = text.trim().toLowerCase();
            char last = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
            try {
                if (units.containsKey(last)) {
                    return Long.parseLong(t.substring(0, t.length() - 1)) * units.get(last);
                }
                return Long.parseLong(t);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad size " + text + " (use e.g. 64m, 1g)");
            }
        }
    }
}
