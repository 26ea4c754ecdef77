package io.offsync.synctool;

import static io.offsync.synctool.TestNodes.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.offsync.collector.node.CollectorNode;
import io.offsync.collector.node.DataCollectorFlags;
import io.offsync.protocol.admin.CreateTaskRequest;
import io.offsync.protocol.admin.ListCollectorsRequest;
import io.offsync.protocol.admin.StatusRequest;
import io.offsync.protocol.admin.SyncToolAdminClient;
import io.offsync.protocol.admin.TableRef;
import io.offsync.synctool.cli.SyncToolHelper;
import io.offsync.testkit.EmbeddedZooKeeper;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin and management ports with TLS and bearer tokens, on a real synctool node: HTTP/JSON and gRPC without a
 * token or with a wrong one are refused (401 / UNAUTHENTICATED), the read-only token may read but not change tasks
 * (403 / PERMISSION_DENIED), the admin token may do both; {@code bin/synctool-helper}'s client over TLS with
 * {@code --cacert} and {@code --token-file}; management over HTTPS: {@code /alive} and {@code /ready} give their
 * status code to anyone but their reason only with a token, {@code /cluster/members} needs a token. The same on a
 * real collector node that is not ready (no synctool in its cluster), for its {@code /status}, {@code /metrics}
 * and management. An unauthenticated admin, management or status port on a non-loopback address is refused
 * unless the insecure setting says so.
 */
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminAuthTest {

  static final String ADMIN = "admin-token-0123456789abcdef";
  static final String READER = "read-token-0123456789abcdef";

  @TempDir static Path tmp;
  EmbeddedZooKeeper zk;
  SyncToolNode node;
  CollectorNode collector;
  TestKeyStores.Pair tls;
  Path adminToken;
  Path readToken;
  HttpClient https;
  ActorSystem<Void> clientSystem;

  @BeforeAll
  void start() throws Exception {
    tls = TestKeyStores.create(tmp.resolve("tls"), "admin");
    adminToken = secret("admin.token", ADMIN);
    readToken = secret("read.token", READER);
    zk = EmbeddedZooKeeper.start();
    Properties p = TestNodes.synctool(zk.connectString(), "/openmldb", tmp.resolve("progress"), 1);
    p.setProperty("cluster.seed_nodes", "");
    p.setProperty("server.tls.keystore", tls.keyStore().toString());
    p.setProperty("server.tls.keystore_password", TestKeyStores.PASSWORD);
    p.setProperty("server.auth.token_file", adminToken.toString());
    p.setProperty("server.auth.read_token_file", readToken.toString());
    node = SyncToolNode.start(SyncToolSettings.parse(p, null), ConfigFactory.load(), EngineTaskAdmin.engine());
    // its own ZooKeeper root: it finds no synctool to join, so its /ready stays 500 with a reason
    collector = TestNodes.collector(zk.connectString(), "/elsewhere", Files.createDirectories(tmp.resolve("hdd")),
        tmp.resolve("datadir"), freePort(), freePort(), Map.of(
            "http_tls_keystore", tls.keyStore().toString(),
            "http_tls_keystore_password", TestKeyStores.PASSWORD,
            "http_auth_token_file", readToken.toString()));
    KeyStore trust = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(tls.trustStore())) {
      trust.load(in, TestKeyStores.PASSWORD.toCharArray());
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    https = HttpClient.newBuilder().sslContext(ctx).version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    clientSystem = ActorSystem.create(Behaviors.empty(), "admin-auth-client", ConfigFactory.parseString(
        "pekko.actor.provider = local\npekko.fail-mixed-versions = off").withFallback(ConfigFactory.load()));
  }

  @AfterAll
  void stop() throws Exception {
    if (clientSystem != null) {
      clientSystem.terminate();
    }
    for (AutoCloseable c : new AutoCloseable[] {collector, node, zk}) {
      if (c != null) {
        c.close();
      }
    }
  }

  static Path secret(String name, String value) throws Exception {
    Path f = tmp.resolve(name);
    Files.writeString(f, value + "\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    return f;
  }

  HttpResponse<String> post(String method, String body, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + node.serverPort()
        + "/openmldb.datasync.SyncTool/" + method)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(10));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return https.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> metrics(String token) throws Exception {
    return https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + node.serverPort() + "/metrics"))
        .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(int port, String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + path)).GET()
        .timeout(Duration.ofSeconds(10));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return https.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The status of a gRPC call over TLS with {@code token} (null = none), OK when it succeeded. */
  <T> Status.Code grpc(String token, Function<SyncToolAdminClient, CompletionStage<T>> call) throws Exception {
    GrpcClientSettings settings = GrpcClientSettings.connectToServiceAt("127.0.0.1", node.serverPort(),
        clientSystem).withTls(true).withTrustManager(trustManager()).withDeadline(Duration.ofSeconds(10));
    if (token != null) {
      settings = settings.withCallCredentials(new io.grpc.CallCredentials() {
        @Override
        public void applyRequestMetadata(RequestInfo info, java.util.concurrent.Executor e, MetadataApplier a) {
          io.grpc.Metadata m = new io.grpc.Metadata();
          m.put(io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
          a.apply(m);
        }
      });
    }
    SyncToolAdminClient client = SyncToolAdminClient.create(settings, clientSystem);
    try {
      call.apply(client).toCompletableFuture().get(20, TimeUnit.SECONDS);
      return Status.Code.OK;
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      Status s = c instanceof StatusRuntimeException sre ? sre.getStatus()
          : c instanceof org.apache.pekko.grpc.GrpcServiceException g ? g.getStatus() : null;
      if (s == null) {
        throw e;
      }
      lastDescription = s.getDescription();
      return s.getCode();
    } finally {
      client.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  String lastDescription;

  javax.net.ssl.TrustManager trustManager() throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(tls.trustStore())) {
      trust.load(in, TestKeyStores.PASSWORD.toCharArray());
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    return tmf.getTrustManagers()[0];
  }

  @Test
  void httpJsonNeedsTheRightToken() throws Exception {
    String status = "{\"clear_all\": false}";
    HttpResponse<String> none = post("TaskStatus", status, null);
    assertEquals(401, none.statusCode(), none.body());
    assertTrue(none.body().contains("requires a bearer token") && none.body().contains("--token-file"),
        none.body());
    HttpResponse<String> wrong = post("TaskStatus", status, "not-the-token-at-all");
    assertEquals(401, wrong.statusCode(), wrong.body());
    assertTrue(wrong.body().contains("not valid"), wrong.body());
    HttpResponse<String> readOnly = post("CreateSyncTask", "{\"db\": \"d\", \"name\": \"t\", \"mode\": 0,"
        + " \"dest\": \"/tmp/x\"}", READER);
    assertEquals(403, readOnly.statusCode(), readOnly.body());
    assertTrue(readOnly.body().contains("read-only token"), readOnly.body());
    HttpResponse<String> admin = post("TaskStatus", status, ADMIN);
    assertEquals(200, admin.statusCode(), admin.body());
    assertTrue(admin.body().contains("\"code\": 0") || admin.body().contains("\"code\":0"), admin.body());
    assertEquals(200, metrics(READER).statusCode());
  }

  @Test
  void grpcNeedsTheRightToken() throws Exception {
    assertEquals(Status.Code.UNAUTHENTICATED, grpc(null, c -> c.status(StatusRequest.getDefaultInstance())));
    assertTrue(lastDescription.contains("requires a bearer token"), lastDescription);
    assertEquals(Status.Code.UNAUTHENTICATED, grpc("wrong-token-0123456789",
        c -> c.status(StatusRequest.getDefaultInstance())));
    assertEquals(Status.Code.OK, grpc(READER, c -> c.status(StatusRequest.getDefaultInstance())));
    assertEquals(Status.Code.OK, grpc(READER, c -> c.listCollectors(ListCollectorsRequest.getDefaultInstance())));
    assertEquals(Status.Code.PERMISSION_DENIED, grpc(READER, c -> c.deleteTask(
        TableRef.newBuilder().setDb("demo").setTable("t").build())));
    assertTrue(lastDescription.contains("read-only token"), lastDescription);
    // the admin token passes authentication; the engine then refuses the unknown table
    Status.Code created = grpc(ADMIN, c -> c.createTask(CreateTaskRequest.newBuilder()
        .setTable(TableRef.newBuilder().setDb("demo").setTable("nope")).setMode(0).setDest("/tmp/x").build()));
    assertEquals(Status.Code.NOT_FOUND, created, lastDescription);
  }

  @Test
  void theHelperPassesTheTokenAndTheCa() throws Exception {
    Path cert = tls.keyStore().resolveSibling("admin.crt");
    String server = "127.0.0.1:" + node.serverPort();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int ok = SyncToolHelper.run(new String[] {"-s", server, "--cacert", cert.toString(), "--token-file",
        readToken.toString(), "status"}, new PrintWriter(out), new PrintWriter(err));
    assertEquals(0, ok, out + " / " + err);
    StringWriter err2 = new StringWriter();
    int refused = SyncToolHelper.run(new String[] {"-s", server, "--cacert", cert.toString(), "status"},
        new PrintWriter(new StringWriter()), new PrintWriter(err2));
    assertEquals(1, refused, err2.toString());
    assertTrue(err2.toString().contains("requires a bearer token"), err2.toString());
  }

  @Test
  void theSynctoolsManagementTakesTheAdminPortsTlsAndTokens() throws Exception {
    int port = node.managementPort();
    HttpResponse<String> alive = get(port, "/alive", null);
    assertEquals(200, alive.statusCode(), alive.body());
    assertEquals("OK", alive.body());
    HttpResponse<String> ready = get(port, "/ready", null);
    assertTrue(ready.body().equals("OK") || ready.body().startsWith("not ready (send a bearer token"),
        "status code only without a token: " + ready.body());
    HttpResponse<String> members = get(port, "/cluster/members", null);
    assertEquals(401, members.statusCode(), members.body());
    assertTrue(members.body().contains("server.auth.token_file or server.auth.read_token_file"), members.body());
    assertEquals(401, get(port, "/cluster/members", "not-the-token-at-all").statusCode());
    for (String token : new String[] {READER, ADMIN}) {
      HttpResponse<String> r = get(port, "/cluster/members", token);
      assertEquals(200, r.statusCode(), r.body());
      assertTrue(r.body().contains("synctool"), r.body());
    }
    assertThrows(IOException.class, () -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + "/alive")).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString()), "management speaks only TLS");
  }

  @Test
  void aCollectorsStatusPageAndManagementNeedItsToken() throws Exception {
    int mgmt = collector.managementPort();
    HttpResponse<String> ready = get(mgmt, "/ready", null);
    assertEquals(500, ready.statusCode(), ready.body());
    assertTrue(ready.body().startsWith("not ready (send a bearer token") && !ready.body().contains("synctool"),
        "no reason without a token: " + ready.body());
    TestNodes.await(Duration.ofSeconds(30), () -> get(mgmt, "/ready", READER).body()
        .contains("no synctool in the cluster"), "/ready's reason with the token");
    assertEquals("OK", get(mgmt, "/alive", null).body());
    assertEquals(401, get(mgmt, "/cluster/members", null).statusCode());
    assertEquals(200, get(mgmt, "/cluster/members", READER).statusCode());
    for (String page : new String[] {"/status", "/metrics"}) {
      HttpResponse<String> none = get(collector.httpPort(), page, null);
      assertEquals(401, none.statusCode(), none.body());
      assertTrue(none.body().contains("--http_auth_token_file"), none.body());
      assertEquals(401, get(collector.httpPort(), page, ADMIN).statusCode(), "only its own token");
      assertEquals(200, get(collector.httpPort(), page, READER).statusCode(), page);
    }
    assertTrue(get(collector.httpPort(), "/status", READER).body().contains("cluster: Up"));
  }

  @Test
  void anOpenStatusPageOffLoopbackIsAnExplicitChoice() {
    Map<String, String> flags = new java.util.HashMap<>(Map.of("endpoint", "10.1.2.3:8888"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DataCollectorFlags.of(flags).httpTokens());
    assertTrue(e.getMessage().contains("http_bind_host = 10.1.2.3") && e.getMessage().contains("http_auth_token_file")
        && e.getMessage().contains("http_auth_insecure"), e.getMessage());
    flags.put("http_bind_host", "127.0.0.1");
    assertFalse(DataCollectorFlags.of(flags).httpTokens().enabled());
    flags.put("http_bind_host", "0.0.0.0");
    flags.put("http_auth_insecure", "true");
    assertFalse(DataCollectorFlags.of(flags).httpTokens().enabled());
  }

  @Test
  void anOpenAdminPortOffLoopbackIsAnExplicitChoice() throws Exception {
    Properties p = TestNodes.synctool(zk.connectString(), "/openmldb", tmp.resolve("p2"), 1);
    p.setProperty("server.host", "0.0.0.0");
    SyncToolSettings.SettingsException e = assertThrows(SyncToolSettings.SettingsException.class,
        () -> SyncToolSettings.parse(p, null).checkAdminExposure());
    assertTrue(e.getMessage().contains("server.auth.token_file") && e.getMessage().contains("server.auth.insecure"),
        e.getMessage());
    p.setProperty("server.auth.insecure", "true");
    SyncToolSettings.parse(p, null).checkAdminExposure();
    p.setProperty("server.auth.insecure", "false");
    p.setProperty("server.host", "127.0.0.1");
    p.setProperty("management.host", "0.0.0.0");
    SyncToolSettings.SettingsException m = assertThrows(SyncToolSettings.SettingsException.class,
        () -> SyncToolSettings.parse(p, null).checkAdminExposure());
    assertTrue(m.getMessage().contains("management.host = 0.0.0.0") && m.getMessage().contains("server.auth.insecure"),
        m.getMessage());
    p.setProperty("server.auth.token_file", adminToken.toString());
    SyncToolSettings.parse(p, null).checkAdminExposure();
  }
}
