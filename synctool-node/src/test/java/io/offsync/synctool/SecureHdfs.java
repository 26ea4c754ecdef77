package io.offsync.synctool;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.minikdc.MiniKdc;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.kerby.kerberos.kerb.crypto.EncryptionHandler;
import org.apache.kerby.kerberos.kerb.keytab.Keytab;
import org.apache.kerby.kerberos.kerb.keytab.KeytabEntry;
import org.apache.kerby.kerberos.kerb.type.KerberosTime;
import org.apache.kerby.kerberos.kerb.type.base.EncryptionKey;
import org.apache.kerby.kerberos.kerb.type.base.EncryptionType;
import org.apache.kerby.kerberos.kerb.type.base.PrincipalName;

/**
 * A real KDC (Hadoop's MiniKdc, Apache Kerby) and a Kerberized MiniDFSCluster configured as a production secure
 * cluster without root: Kerberos RPC, block access tokens, SASL on the data transfer protocol
 * ({@code dfs.data.transfer.protection=authentication}) instead of privileged ports, and HTTPS-only web endpoints
 * (as Hadoop's own {@code SaslDataTransferTestCase}). NameNode and DataNode run as {@code hdfs/localhost}.
 *
 * <p>Hadoop keeps the authentication method and the login user process-wide: {@link #close()} resets them to
 * simple authentication so later tests in the same JVM are unaffected.
 */
final class SecureHdfs implements AutoCloseable {

  final MiniKdc kdc;
  final MiniDFSCluster cluster;
  final Path dir;
  final File hdfsKeytab;

  private SecureHdfs(MiniKdc kdc, MiniDFSCluster cluster, Path dir, File hdfsKeytab) {
    this.kdc = kdc;
    this.cluster = cluster;
    this.dir = dir;
    this.hdfsKeytab = hdfsKeytab;
  }

  /** Starts a KDC whose tickets live {@code ticketLifetime} and a one-DataNode secure HDFS under {@code dir}. */
  static SecureHdfs start(Path dir, Duration ticketLifetime) throws Exception {
    Properties kdcConf = MiniKdc.createConf();
    // Kerby reads these in seconds
    kdcConf.setProperty(MiniKdc.MAX_TICKET_LIFETIME, String.valueOf(ticketLifetime.toSeconds()));
    kdcConf.setProperty(MiniKdc.MIN_TICKET_LIFETIME, "1");
    kdcConf.setProperty(MiniKdc.MAX_RENEWABLE_LIFETIME, String.valueOf(ticketLifetime.toSeconds()));
    File kdcDir = Files.createDirectories(dir.resolve("kdc")).toFile();
    MiniKdc kdc = new MiniKdc(kdcConf, kdcDir);
    kdc.start();
    MiniDFSCluster cluster = null;
    try {
      File keytab = new File(kdcDir, "hdfs.keytab");
      kdc.createPrincipal(keytab, "hdfs/localhost", "HTTP/localhost");
      String realm = kdc.getRealm();
      TestKeyStores.Pair web = TestKeyStores.create(dir.resolve("web-tls"), "namenode");
      Path sslDir = Files.createDirectories(dir.resolve("ssl-conf"));
      Files.writeString(sslDir.resolve("offsync-test-ssl-server.xml"), xml(Map.of(
          "ssl.server.keystore.location", web.keyStore().toString(),
          "ssl.server.keystore.password", TestKeyStores.PASSWORD,
          "ssl.server.keystore.keypassword", TestKeyStores.PASSWORD,
          "ssl.server.keystore.type", "pkcs12",
          "ssl.server.truststore.location", web.trustStore().toString(),
          "ssl.server.truststore.password", TestKeyStores.PASSWORD,
          "ssl.server.truststore.type", "pkcs12")), StandardCharsets.UTF_8);

      Configuration conf = new Configuration();
      conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.resolve("dfs").toAbsolutePath().toString());
      conf.set("hadoop.security.authentication", "kerberos");
      conf.set("dfs.namenode.kerberos.principal", "hdfs/localhost@" + realm);
      conf.set("dfs.namenode.keytab.file", keytab.getAbsolutePath());
      conf.set("dfs.datanode.kerberos.principal", "hdfs/localhost@" + realm);
      conf.set("dfs.datanode.keytab.file", keytab.getAbsolutePath());
      conf.set("dfs.web.authentication.kerberos.principal", "HTTP/localhost@" + realm);
      conf.set("dfs.web.authentication.kerberos.keytab", keytab.getAbsolutePath());
      conf.setBoolean("dfs.block.access.token.enable", true);
      conf.set("dfs.data.transfer.protection", "authentication");
      conf.set("dfs.http.policy", "HTTPS_ONLY");
      conf.set("dfs.namenode.https-address", "localhost:0");
      conf.set("dfs.datanode.https.address", "localhost:0");
      conf.set("dfs.https.server.keystore.resource", "offsync-test-ssl-server.xml");
      conf.set("hadoop.ssl.server.conf", "offsync-test-ssl-server.xml");
      conf.setInt("ipc.client.connect.max.retries.on.sasl", 10);
      conf.setBoolean("dfs.webhdfs.enabled", false);
      conf.setInt("dfs.replication", 1);
      UserGroupInformation.setConfiguration(conf);
      // the HTTPS servers read their key store settings as a class path resource
      Thread t = Thread.currentThread();
      ClassLoader before = t.getContextClassLoader();
      t.setContextClassLoader(new URLClassLoader(new URL[] {sslDir.toUri().toURL()}, before));
      try {
        cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        cluster.waitActive();
      } finally {
        t.setContextClassLoader(before);
      }
      return new SecureHdfs(kdc, cluster, dir, keytab);
    } catch (Exception | Error e) {
      if (cluster != null) {
        cluster.shutdown();
      }
      kdc.stop();
      resetHadoopSecurity();
      throw e;
    }
  }

  String realm() {
    return kdc.getRealm();
  }

  String uri() {
    return cluster.getURI().toString();
  }

  /** A principal {@code name/localhost@REALM} with a fresh keytab {@code <dir>/<file>}. */
  Path principal(String name, String file) throws Exception {
    File keytab = dir.resolve(file).toFile();
    kdc.createPrincipal(keytab, name + "/localhost");
    return keytab.toPath();
  }

  /**
   * A keytab {@code <dir>/<file>} holding a random key of {@code principal}: a key the KDC does not have (for a
   * principal it knows: a stale keytab; for one it does not know: an unknown principal).
   */
  Path forgedKeytab(String principal, String file) throws Exception {
    List<KeytabEntry> entries = new ArrayList<>();
    for (EncryptionType type : List.of(EncryptionType.AES128_CTS_HMAC_SHA1_96,
        EncryptionType.AES256_CTS_HMAC_SHA1_96)) {
      EncryptionKey key = EncryptionHandler.string2Key(principal, UUID.randomUUID().toString(), type);
      entries.add(new KeytabEntry(new PrincipalName(principal), new KerberosTime(), 1, key));
    }
    Keytab keytab = new Keytab();
    keytab.addKeytabEntries(entries);
    File f = dir.resolve(file).toFile();
    keytab.store(f);
    return f.toPath();
  }

  /**
   * A Hadoop conf dir for a client of this cluster: fs.defaultFS, the NameNode principal and the data transfer
   * protection, plus {@code extra}; {@code hadoop.security.authentication=kerberos} when {@code kerberos}.
   */
  Path clientConfDir(Path confDir, boolean kerberos, Map<String, String> extra) throws Exception {
    Files.createDirectories(confDir);
    Map<String, String> core = new java.util.TreeMap<>(extra);
    core.put("fs.defaultFS", uri());
    core.put("hadoop.security.authentication", kerberos ? "kerberos" : "simple");
    Files.writeString(confDir.resolve("core-site.xml"), xml(core), StandardCharsets.UTF_8);
    Files.writeString(confDir.resolve("hdfs-site.xml"), xml(Map.of(
        "dfs.namenode.kerberos.principal", "hdfs/localhost@" + realm(),
        "dfs.data.transfer.protection", "authentication")), StandardCharsets.UTF_8);
    return confDir;
  }

  /** The cluster's own file system, as the NameNode's login user (hdfs). */
  FileSystem adminFileSystem() throws Exception {
    return cluster.getFileSystem();
  }

  static String xml(Map<String, String> props) {
    StringBuilder b = new StringBuilder("<?xml version=\"1.0\"?>\n<configuration>\n");
    props.forEach((k, v) -> b.append("  <property><name>").append(k).append("</name><value>").append(v)
        .append("</value></property>\n"));
    return b.append("</configuration>\n").toString();
  }

  static void resetHadoopSecurity() {
    UserGroupInformation.reset();
  }

  @Override
  public void close() {
    try {
      cluster.shutdown();
    } finally {
      kdc.stop();
      resetHadoopSecurity();
    }
  }
}
