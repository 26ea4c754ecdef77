package io.offsync.synctool;

import io.offsync.sink.DestinationUser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;

/**
 * Who a synctool node is towards its destination file systems, from {@code hadoop.kerberos.*} and the
 * {@code hadoop.security.authentication} of the Hadoop configuration ({@code hadoop.conf.dir}).
 *
 * <p>Kerberos in the Hadoop configuration and a principal with its keytab in synctool.properties: a login from
 * the keytab, renewed for as long as the node runs ({@link DestinationUser#kerberos}). Neither: the process user.
 * One without the other, a missing krb5.conf, a keytab without the principal's key, a principal the KDC does not
 * know, a key the KDC does not accept: a {@link DestinationUser.LoginException} naming the key to fix.
 */
final class DestinationLogin {

  private DestinationLogin() {}

  static DestinationUser login(SyncToolSettings settings, Configuration hadoopConf)
      throws DestinationUser.LoginException {
    SyncToolSettings.Kerberos k = settings.kerberos();
    String where = settings.hadoopConfDir().isEmpty() ? "the Hadoop configuration (hadoop.conf.dir is empty)"
        : "core-site.xml of hadoop.conf.dir = " + settings.hadoopConfDir();
    boolean kerberosFs = "kerberos".equalsIgnoreCase(hadoopConf.get("hadoop.security.authentication", "simple"));
    if (!kerberosFs) {
      if (k.enabled()) {
        throw new DestinationUser.LoginException("hadoop.kerberos.principal = " + k.principal() + " is set but "
            + where + " does not set hadoop.security.authentication=kerberos: set it there (as the cluster's own"
            + " core-site.xml does), or empty hadoop.kerberos.principal and hadoop.kerberos.keytab", null);
      }
      return DestinationUser.processUser();
    }
    if (!k.enabled()) {
      throw new DestinationUser.LoginException(where + " sets hadoop.security.authentication=kerberos but"
          + " hadoop.kerberos.principal and hadoop.kerberos.keytab are empty: set them in synctool.properties to"
          + " the synctool's principal and its keytab (offsync logs in from the keytab and renews the ticket)",
          null);
    }
    if (k.krb5Conf() != null) {
      // Java has one Kerberos configuration per JVM; a synctool is its own JVM
      System.setProperty("java.security.krb5.conf", k.krb5Conf().toString());
    } else if (!hasDefaultKrb5Conf()) {
      throw new DestinationUser.LoginException("no Kerberos configuration: hadoop.kerberos.krb5_conf is empty and"
          + " neither /etc/krb5.conf nor the JVM's java.security.krb5.conf exists; set hadoop.kerberos.krb5_conf"
          + " to the krb5.conf naming the realm of " + k.principal() + " and its KDCs", null);
    }
    return DestinationUser.kerberos(hadoopConf, k.principal(), k.keytab(), k.reloginCheck());
  }

  private static boolean hasDefaultKrb5Conf() {
    String property = System.getProperty("java.security.krb5.conf");
    if (property != null) {
      return Files.isRegularFile(Path.of(property));
    }
    if (System.getProperty("java.security.krb5.kdc") != null) {
      return true;
    }
    return Files.isRegularFile(Path.of(System.getProperty("java.home"), "conf", "security", "krb5.conf"))
        || Files.isRegularFile(Path.of("/etc/krb5.conf"));
  }
}
