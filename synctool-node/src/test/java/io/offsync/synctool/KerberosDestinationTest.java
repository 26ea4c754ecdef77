package io.offsync.synctool;

import static io.offsync.synctool.TestNodes.await;
import static io.offsync.synctool.TestNodes.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.offsync.collector.node.CollectorNode;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.Type;
import io.offsync.sink.DestinationUser;
import io.offsync.sink.IoTimeout;
import io.offsync.synctool.cli.SyncToolHelper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayDeque;
import java.util.Deque;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.exceptions.NoSuchTableException;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.iceberg.io.CloseableIterable;
import io.offsync.testkit.EmbeddedZooKeeper;
import io.offsync.testkit.TabletFixture;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A synctool writing into a Kerberized HDFS: a real KDC (MiniKdc) and a secure MiniDFSCluster (Kerberos RPC, block
 * access tokens, SASL data transfer, HTTPS-only web endpoints), real ZooKeeper, a real collector node and tablet files.
 * Tickets live {@value #TICKET_SECONDS} s, shorter than the sync, so rows committed after the first ticket expired
 * prove the scheduled relogin. The negative control: a second login of the same principal from the same keytab whose
 * renewal never runs writes a file every few seconds through the same Kerberized NameNode; its writes work until its
 * ticket expires and fail after that, while the synctool keeps committing. A Parquet task and an Iceberg task (Hadoop
 * catalog in HDFS, read back with Iceberg's reader) run side by side; every file and directory they created is owned by
 * the synctool's principal, not by the JVM's Hadoop login user (here the NameNode's {@code hdfs}), so no call escaped
 * the principal's {@code doAs}; {@code verify} checks both. A synctool without a keytab (a child JVM: Hadoop's login
 * user is process-wide) is refused by the NameNode, and says so on {@code /ready} and in the create reply; a bad
 * keytab, unknown principal or missing settings fail the start naming the key.
 */
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KerberosDestinationTest {

  static final String ROOT = "/openmldb";
  static final int TICKET_SECONDS = 40;
  static final Duration DEADLINE = Duration.ofSeconds(90);

  @TempDir static Path tmp;
  SecureHdfs hdfs;
  EmbeddedZooKeeper zk;
  TabletFixture events;
  TabletFixture ice;
  TabletFixture refused;
  CollectorNode collector;
  SyncToolNode node;
  Process noKeytab;
  HttpClient http;
  Path keytab;
  String principal;
  long nextId;
  long nextIceId;
  DestinationUser control;
  Configuration clientConf;
  Instant controlTicketEnd;
  final Map<Instant, Exception> controlWrites = new TreeMap<>();

  @BeforeAll
  void start() throws Exception {
    hdfs = SecureHdfs.start(tmp.resolve("secure"), Duration.ofSeconds(TICKET_SECONDS));
    FileSystem admin = hdfs.adminFileSystem();
    admin.mkdirs(new org.apache.hadoop.fs.Path("/data"));
    admin.setPermission(new org.apache.hadoop.fs.Path("/data"), new FsPermission((short) 0777));
    keytab = hdfs.principal("offsync", "offsync.keytab");
    principal = "offsync/localhost@" + hdfs.realm();

    zk = EmbeddedZooKeeper.start();
    Path hdd = Files.createDirectories(tmp.resolve("hdd"));
    events = TabletFixture.builder(hdd).db("demo").table("events").tid(31).partitions(1)
        .storageMode(Common.StorageMode.kHDD).column("id", Type.DataType.kBigInt)
        .column("ts", Type.DataType.kTimestamp).index("idx0", "ts", "id").build();
    append(200);
    events.snapshot(0);
    append(50);
    events.register(zk.client(), ROOT);
    ice = TabletFixture.builder(hdd).db("demo").table("ice").tid(33).partitions(1)
        .storageMode(Common.StorageMode.kHDD).column("id", Type.DataType.kBigInt)
        .column("ts", Type.DataType.kTimestamp).index("idx0", "ts", "id").build();
    appendIce(60);
    ice.register(zk.client(), ROOT);
    refused = TabletFixture.builder(hdd).db("demo").table("refused").tid(32).partitions(1)
        .storageMode(Common.StorageMode.kHDD).column("id", Type.DataType.kBigInt)
        .column("ts", Type.DataType.kTimestamp).index("idx0", "ts", "id").build();
    refused.put(1L, 1_700_000_000_000L);
    refused.flush();
    refused.register(zk.client(), ROOT);
    int collectorCluster = freePort();
    collector = TestNodes.collector(zk.connectString(), ROOT, hdd, tmp.resolve("datadir"), collectorCluster, 0);

    // IPC connections close after 1 s idle, so every roll opens a new one and needs a valid ticket
    Path confDir = hdfs.clientConfDir(tmp.resolve("hadoop-conf"), true, Map.of(
        "ipc.client.connection.maxidletime", "1000",
        "hadoop.kerberos.min.seconds.before.relogin", "2"));
    Properties p = TestNodes.synctool(zk.connectString(), ROOT, tmp.resolve("progress"), collectorCluster);
    p.setProperty("hadoop.conf.dir", confDir.toString());
    p.setProperty("hadoop.kerberos.principal", principal);
    p.setProperty("hadoop.kerberos.keytab", keytab.toString());
    p.setProperty("hadoop.kerberos.krb5_conf", hdfs.kdc.getKrb5conf().getAbsolutePath());
    p.setProperty("hadoop.kerberos.relogin_check", "2");
    p.setProperty("sync_task.roll_time", "1");
    p.setProperty("sync_task.roll_idle", "1");
    clientConf = SyncToolNode.hadoopConfiguration(SyncToolSettings.parse(p, null));
    // the negative control: the same principal and keytab, renewal effectively off (first check after a day)
    control = DestinationUser.kerberos(clientConf, principal, keytab, Duration.ofDays(1));
    // at once: the NameNode's service ticket, which this KDC lets outlive the TGT, then ends with it
    controlTicketEnd = control.ticketEnd().orElseThrow();
    controlWrites.put(Instant.now(), controlWrite(0));
    // task creation checks the Kerberized destination; on a loaded machine that can outlast the 20 s default
    node = SyncToolNode.start(SyncToolSettings.parse(p, null), ConfigFactory.parseString(
        "pekko.http.server.request-timeout = 120 s").withFallback(ConfigFactory.load()), EngineTaskAdmin.engine());
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  @AfterAll
  void stop() throws Exception {
    if (noKeytab != null) {
      noKeytab.destroy();
      if (!noKeytab.waitFor(30, TimeUnit.SECONDS)) {
        noKeytab.destroyForcibly();
      }
    }
    for (AutoCloseable c : new AutoCloseable[] {control, node, collector, events, ice, refused, zk, hdfs}) {
      if (c != null) {
        c.close();
      }
    }
  }

  void append(int rows) {
    for (int i = 0; i < rows; i++) {
      long id = nextId++;
      events.put(id, 1_700_000_000_000L + id);
    }
    events.flush();
  }

  void appendIce(int rows) {
    for (int i = 0; i < rows; i++) {
      long id = nextIceId++;
      ice.put(id, 1_700_000_000_000L + id);
    }
    ice.flush();
  }

  /** One file written (create, hsync, rename) as the control user: null when it worked, else why not. */
  Exception controlWrite(int n) {
    try {
      new IoTimeout(Duration.ofSeconds(30), control).call("control write " + n, () -> {
        FileSystem fs = FileSystem.get(URI.create(hdfs.uri()), clientConf);
        org.apache.hadoop.fs.Path tmpFile = new org.apache.hadoop.fs.Path("/data/control/." + n + ".tmp");
        try (FSDataOutputStream out = fs.create(tmpFile)) {
          out.writeLong(n);
          out.hsync();
        }
        return fs.rename(tmpFile, new org.apache.hadoop.fs.Path("/data/control/" + n));
      });
      return null;
    } catch (IOException | RuntimeException e) {
      return e;
    }
  }

  /** Paths under {@code dir} (files and directories, recursively) not owned by {@code owner}. */
  List<String> notOwnedBy(String dir, String owner) throws Exception {
    List<String> wrong = new ArrayList<>();
    Deque<org.apache.hadoop.fs.Path> todo = new ArrayDeque<>(List.of(new org.apache.hadoop.fs.Path(dir)));
    FileSystem fs = hdfs.adminFileSystem();
    while (!todo.isEmpty()) {
      for (FileStatus f : fs.listStatus(todo.pop())) {
        if (!f.getOwner().equals(owner)) {
          wrong.add(f.getPath().toUri().getPath() + " (" + f.getOwner() + ")");
        }
        if (f.isDirectory()) {
          todo.push(f.getPath());
        }
      }
    }
    return wrong;
  }

  /** id → how many rows of the Iceberg table's current snapshot carry it (Iceberg's own reader). */
  Map<Long, Integer> icebergIds(String warehouse) throws Exception {
    Map<Long, Integer> ids = new TreeMap<>();
    Table table;
    try {
      table = new HadoopCatalog(hdfs.adminFileSystem().getConf(), warehouse)
          .loadTable(TableIdentifier.of("demo", "ice"));
    } catch (NoSuchTableException notYet) {
      return ids;
    }
    try (CloseableIterable<Record> records = IcebergGenerics.read(table).build()) {
      for (Record r : records) {
        ids.merge((Long) r.getField("id"), 1, Integer::sum);
      }
    }
    return ids;
  }

  JsonNode create(int serverPort, String table, String dest) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + serverPort
            + "/openmldb.datasync.SyncTool/CreateSyncTask")).timeout(Duration.ofSeconds(150))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"db\": \"demo\", \"name\": \"" + table + "\", \"mode\": 2,"
            + " \"start_ts\": 0, \"dest\": \"" + dest + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
    return new ObjectMapper().readTree(r.body());
  }

  HttpResponse<String> ready(int port) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ready"))
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** id → how many committed rows carry it, over every committed Parquet file under dir. */
  Map<Long, Integer> committedIds(String dir) throws Exception {
    FileSystem fs = hdfs.adminFileSystem();
    Map<Long, Integer> ids = new TreeMap<>();
    for (FileStatus f : fs.listStatus(new org.apache.hadoop.fs.Path(dir))) {
      if (!f.isFile() || !f.getPath().getName().endsWith(".parquet")) {
        continue;
      }
      try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), f.getPath())
          .withConf(fs.getConf()).build()) {
        for (Group g = r.read(); g != null; g = r.read()) {
          ids.merge(g.getLong("id", 0), 1, Integer::sum);
        }
      }
    }
    return ids;
  }

  @Test
  @Order(1)
  void syncsExactRowsIntoKerberizedHdfsAcrossTicketExpiry() throws Exception {
    DestinationUser user = node.destinationUser();
    assertEquals(principal, user.principal());
    Instant firstTicketEnd = user.ticketEnd().orElseThrow();
    assertTrue(firstTicketEnd.isBefore(Instant.now().plusSeconds(TICKET_SECONDS + 5)),
        "the KDC's tickets live " + TICKET_SECONDS + " s, but this one until " + firstTicketEnd);
    String dest = hdfs.uri() + "/data/events";
    JsonNode reply = create(node.serverPort(), "events", dest);
    assertEquals(0, reply.get("code").asInt(), reply.toString());
    String warehouse = hdfs.uri() + "/data/warehouse";
    StringWriter out = new StringWriter();
    int created = SyncToolHelper.run(new String[] {"-s", "127.0.0.1:" + node.serverPort(), "create", "-t",
        "demo.ice", "-m", "2", "-d", warehouse, "--format", "iceberg"}, new PrintWriter(out), new PrintWriter(out));
    assertEquals(0, created, out.toString());
    // keep rows coming until well after the first tickets expired: each batch opens new NameNode connections
    Instant until = (firstTicketEnd.isAfter(controlTicketEnd) ? firstTicketEnd : controlTicketEnd).plusSeconds(8);
    while (Instant.now().isBefore(until)) {
      controlWrites.put(Instant.now(), controlWrite(controlWrites.size()));
      Thread.sleep(3000);
      append(25);
      appendIce(10);
    }
    long expected = nextId;
    Map<Long, Integer>[] seen = new Map[1];
    await(DEADLINE, () -> {
      seen[0] = committedIds("/data/events");
      return seen[0].size() == expected;
    }, "all " + expected + " rows committed in " + dest);
    List<Long> wrong = new ArrayList<>();
    seen[0].forEach((id, n) -> {
      if (n != 1 || id < 0 || id >= expected) {
        wrong.add(id);
      }
    });
    assertTrue(wrong.isEmpty(), "ids committed other than exactly once: " + wrong);
    assertTrue(user.logins() >= 2, "relogins from the keytab: " + user.logins());
    assertTrue(user.ticketEnd().orElseThrow().isAfter(firstTicketEnd), "a new ticket replaced the first");
    assertTrue(user.problem().isEmpty(), user.problem().orElse(""));
    await(DEADLINE, () -> ready(node.managementPort()).statusCode() == 200, "/ready 200");

    // the control without renewal: it wrote while its ticket lived, and could not once it had expired
    List<String> before = new ArrayList<>();
    List<String> after = new ArrayList<>();
    controlWrites.forEach((at, failure) -> {
      if (at.isBefore(controlTicketEnd.minusSeconds(2))) {
        before.add(failure == null ? "ok" : failure.toString());
      } else if (at.isAfter(controlTicketEnd.plusSeconds(3))) {
        after.add(failure == null ? "ok" : DestinationUser.kerberosHint(failure).map(h -> "refused")
            .orElse(failure.toString()));
      }
    });
    assertTrue(!before.isEmpty() && before.stream().allMatch("ok"::equals), "control writes before expiry: " + before);
    assertTrue(!after.isEmpty() && after.stream().allMatch("refused"::equals), "control writes after expiry: " + after);
    assertEquals(1, control.logins());
    assertTrue(control.problem().orElse("").contains("was not renewed from hadoop.kerberos.keytab"),
        control.problem().orElse("no problem reported"));

    // the Iceberg table: every row once, read by Iceberg's reader
    long expectedIce = nextIceId;
    Map<Long, Integer>[] iceIds = new Map[1];
    await(DEADLINE, () -> {
      iceIds[0] = icebergIds(warehouse);
      return iceIds[0].size() == expectedIce;
    }, "all " + expectedIce + " rows in Iceberg table demo.ice");
    assertTrue(iceIds[0].values().stream().allMatch(n -> n == 1), "each Iceberg row once: " + iceIds[0]);
    assertEquals(0L, iceIds[0].keySet().stream().filter(id -> id < 0 || id >= expectedIce).count());
    // written as the principal (short name offsync), never as the JVM's login user (hdfs)
    assertEquals(List.of(), notOwnedBy("/data/warehouse", "offsync"));
    assertEquals(List.of(), notOwnedBy("/data/events", "offsync"));
    // verify reads both destinations as the principal too
    for (String table : new String[] {"demo.events", "demo.ice"}) {
      StringWriter verified = new StringWriter();
      assertEquals(0, SyncToolHelper.run(new String[] {"-s", "127.0.0.1:" + node.serverPort(), "verify", "-t", table},
          new PrintWriter(verified), new PrintWriter(verified)), verified.toString());
    }
  }

  @Test
  @Order(2)
  void aSynctoolWithoutKeytabIsRefusedByTheNameNodeWithAClearMessage() throws Exception {
    Path confDir = hdfs.clientConfDir(tmp.resolve("simple-conf"), false, Map.of());
    int serverPort = freePort();
    int managementPort = freePort();
    Path props = tmp.resolve("no-keytab.properties");
    Files.writeString(props, "zookeeper.cluster=" + zk.connectString() + "\nzookeeper.root_path=" + ROOT
        + "\nserver.host=127.0.0.1\nserver.port=" + serverPort + "\ncluster.port=" + freePort()
        + "\nmanagement.port=" + managementPort + "\nrequest.timeout=2\nhadoop.conf.dir=" + confDir
        + "\nsync_task.progress_path=" + tmp.resolve("progress-no-keytab") + "\n");
    Path log = tmp.resolve("no-keytab.log");
    noKeytab = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        "-XX:TieredStopAtLevel=1", "-Dpekko.fail-mixed-versions=off", "-Dpekko.http.server.request-timeout=120s",
        "-cp", System.getProperty("java.class.path"),
        SyncToolMain.class.getName(), props.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    String[] body = new String[1];
    try {
      await(DEADLINE.multipliedBy(2), () -> { // a JVM of its own: starting it is slow on a loaded machine
        HttpResponse<String> r = ready(managementPort);
        body[0] = r.body();
        return r.statusCode() != 200 && r.body().contains("requires Kerberos");
      }, "/ready of the synctool without keytab naming Kerberos");
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; last /ready: " + body[0] + "; log: "
          + Files.readString(log, StandardCharsets.UTF_8), e);
    }
    assertTrue(body[0].contains(hdfs.uri() + "/ refused this synctool"), body[0]);
    assertTrue(body[0].contains("hadoop.kerberos.principal and hadoop.kerberos.keytab"), body[0]);
    JsonNode reply = create(serverPort, "refused", hdfs.uri() + "/data/refused");
    assertTrue(reply.get("code").asInt() != 0, reply.toString());
    String msg = reply.get("msg").asText();
    assertTrue(msg.contains("requires Kerberos") && msg.contains("hadoop.kerberos.keytab"), msg);
    assertTrue(!msg.contains("\tat "), "a message, not a stack trace: " + msg);
  }

  @Test
  @Order(3)
  void badKerberosSettingsFailTheStartNamingTheKey() throws Exception {
    // Kerberos in the Hadoop configuration (the running node's, so its relogin settings stay), no keytab
    Properties p = TestNodes.synctool(zk.connectString(), ROOT, tmp.resolve("p1"), 1);
    p.setProperty("hadoop.conf.dir", node.settings().hadoopConfDir());
    Configuration kerberos = SyncToolNode.hadoopConfiguration(SyncToolSettings.parse(p, null));
    DestinationUser.LoginException none = assertThrows(DestinationUser.LoginException.class,
        () -> DestinationLogin.login(SyncToolSettings.parse(p, null), kerberos));
    assertTrue(none.getMessage().contains("hadoop.kerberos.principal and hadoop.kerberos.keytab are empty"),
        none.getMessage());
    // a keytab without the principal's key
    p.setProperty("hadoop.kerberos.principal", "other/localhost@" + hdfs.realm());
    p.setProperty("hadoop.kerberos.keytab", keytab.toString());
    DestinationUser.LoginException notInKeytab = assertThrows(DestinationUser.LoginException.class,
        () -> DestinationLogin.login(SyncToolSettings.parse(p, null), kerberos));
    assertTrue(notInKeytab.getMessage().contains("holds no key of hadoop.kerberos.principal"),
        notInKeytab.getMessage());
    // a principal the KDC does not know
    Path ghostKeytab = hdfs.forgedKeytab("ghost/localhost@" + hdfs.realm(), "ghost.keytab");
    p.setProperty("hadoop.kerberos.principal", "ghost/localhost@" + hdfs.realm());
    p.setProperty("hadoop.kerberos.keytab", ghostKeytab.toString());
    DestinationUser.LoginException unknown = assertThrows(DestinationUser.LoginException.class,
        () -> DestinationLogin.login(SyncToolSettings.parse(p, null), kerberos));
    assertTrue(unknown.getMessage().contains("does not know hadoop.kerberos.principal"), unknown.getMessage());
    // a keytab with a key the KDC does not have (exported before the principal's key changed)
    Path staleKeytab = hdfs.forgedKeytab(principal, "stale.keytab");
    p.setProperty("hadoop.kerberos.principal", principal);
    p.setProperty("hadoop.kerberos.keytab", staleKeytab.toString());
    DestinationUser.LoginException stale = assertThrows(DestinationUser.LoginException.class,
        () -> DestinationLogin.login(SyncToolSettings.parse(p, null), kerberos));
    assertTrue(stale.getMessage().contains("holds an old or wrong key"), stale.getMessage());
    // a krb5.conf that is not there
    p.setProperty("hadoop.kerberos.krb5_conf", tmp.resolve("missing-krb5.conf").toString());
    SyncToolSettings.SettingsException krb5 = assertThrows(SyncToolSettings.SettingsException.class,
        () -> SyncToolSettings.parse(p, null));
    assertTrue(krb5.getMessage().contains("hadoop.kerberos.krb5_conf"), krb5.getMessage());
  }
}
