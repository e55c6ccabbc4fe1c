package policygraph;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

/**
 * Runs Neo4j Community embedded with Bolt on 127.0.0.1:PORT and authentication enabled.
 *
 * <p>Usage: Launcher --data DIR [--port 7687] [--password PW] [--pagecache-mb 512]
 * [--ready-file FILE]. The password defaults to $POLICYGRAPH_NEO4J_PASSWORD, else "policygraph".
 * The ready file is written once Bolt listens and user neo4j has that password (set with ALTER USER
 * on the system database, since embedded Neo4j creates neo4j/neo4j with a forced change);
 * SIGTERM/SIGINT shut the DBMS down cleanly. Started by scripts/neo4j.sh.
 */
public final class Launcher {
  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable e) {
      e.printStackTrace();
      Throwable root = e;
      while (root.getCause() != null) root = root.getCause();
      System.err.println("policygraph-neo4j: failed: " + root.getMessage() + " (" + root.getClass().getSimpleName() + ")");
      System.exit(1); // also stops Neo4j's non-daemon threads (and runs the shutdown hook if set)
    }
  }

  private static void run(String[] args) throws Exception {
    String envPassword = System.getenv("POLICYGRAPH_NEO4J_PASSWORD"); // keeps it out of `ps`
    Map<String, String> opt = new java.util.HashMap<>(Map.of("--port", "7687", "--pagecache-mb", "512",
        "--password", envPassword == null || envPassword.isEmpty() ? "policygraph" : envPassword));
    for (int i = 0; i + 1 < args.length; i += 2) opt.put(args[i], args[i + 1]);
    if (!opt.containsKey("--data") || args.length % 2 != 0) {
      System.err.println("usage: Launcher --data DIR [--port N] [--password PW] [--pagecache-mb N] [--ready-file F]");
      System.exit(2);
    }
    Path home = Path.of(opt.get("--data")).toAbsolutePath();
    int port = Integer.parseInt(opt.get("--port"));
    String password = opt.get("--password");
    Path ready = opt.containsKey("--ready-file") ? Path.of(opt.get("--ready-file")) : null;
    if (ready != null) Files.deleteIfExists(ready);

    long t0 = System.nanoTime();
    DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
        .setConfig(BoltConnector.enabled, true)
        .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
        .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
        .setConfig(HttpConnector.enabled, false)
        .setConfig(HttpsConnector.enabled, false)
        .setConfig(GraphDatabaseSettings.auth_enabled, true)
        // No lock-out after failed logins: a test probing a wrong password must not lock user
        // neo4j for everyone else (Bolt listens on 127.0.0.1 only).
        .setConfig(GraphDatabaseSettings.auth_max_failed_attempts, 0)
        .setConfig(GraphDatabaseSettings.pagecache_memory,
            ByteUnit.mebiBytes(Long.parseLong(opt.get("--pagecache-mb"))))
        .setConfig(GraphDatabaseSettings.logs_directory, home.resolve("logs"))
        .setConfig(GraphDatabaseSettings.udc_enabled, false) // no usage reports over the network
        .setConfig(GraphDatabaseInternalSettings.udc_network_enabled, false)
        .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
        // Bolt otherwise waits 2 x 5 s for its (already idle) thread pools on shutdown.
        .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofMillis(500))
        .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofMillis(500))
        .build();

    long t1 = System.nanoTime();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("policygraph-neo4j: shutting down");
      try {
        if (ready != null) Files.deleteIfExists(ready);
      } catch (Exception ignored) {
        // best effort
      }
      dbms.shutdown();
      System.out.println("policygraph-neo4j: stopped");
      stopped.countDown();
    }, "policygraph-neo4j-shutdown"));

    setPassword(dbms, password);
    if (ready != null) Files.writeString(ready, ProcessHandle.current().pid() + "\n");
    System.out.printf("policygraph-neo4j: ready on bolt://127.0.0.1:%d (Neo4j %s) in %d ms"
        + " (dbms %d ms, password %d ms)%n", port, org.neo4j.kernel.internal.Version.getNeo4jVersion(),
        (System.nanoTime() - t0) / 1_000_000, (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
    stopped.await();
  }

  /** Sets neo4j's password unless it is already that one (Neo4j refuses an unchanged one). */
  private static void setPassword(DatabaseManagementService dbms, String password) {
    try {
      dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
          "ALTER USER neo4j SET PLAINTEXT PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
      System.out.println("policygraph-neo4j: password of user neo4j set");
    } catch (RuntimeException e) {
      String msg = String.valueOf(e.getMessage()) + " " + String.valueOf(e.getCause());
      if (!msg.contains("cannot be the same")) throw e;
      System.out.println("policygraph-neo4j: password of user neo4j unchanged");
    }
  }
}
