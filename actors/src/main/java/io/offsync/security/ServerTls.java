package io.offsync.security;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;

/**
 * The server side of HTTPS (and gRPC over TLS) on an offsync HTTP port, from a PKCS#12 key store (JKS for a file
 * ending in {@code .jks}) holding the port's private key and certificate. Clients check the certificate against
 * their own trust (the helper's {@code --cacert}); no client certificate is asked for.
 */
public final class ServerTls {

  private ServerTls() {}

  /**
   * @param keyStoreKey the setting naming {@code keyStore}, for messages
   * @param passwordKey the setting holding its password, for messages
   * @throws IllegalArgumentException naming both settings when the store cannot be opened with the password
   */
  public static HttpsConnectionContext https(Path keyStore, String password, String keyStoreKey, String passwordKey) {
    char[] secret = password.toCharArray();
    try (InputStream in = Files.newInputStream(keyStore)) {
      KeyStore ks = KeyStore.getInstance(keyStore.toString().endsWith(".jks") ? "JKS" : KeyStore.getDefaultType());
      ks.load(in, secret);
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, secret);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, new SecureRandom());
      return ConnectionContext.httpsServer(ctx);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(keyStoreKey + " = " + keyStore + " cannot be opened (" + e.getMessage()
          + "): check that it is a PKCS#12 or JKS key store and that " + passwordKey + " is its password");
    }
  }
}
