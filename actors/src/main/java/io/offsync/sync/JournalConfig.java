package io.offsync.sync;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Configuration overlays that point the journal (pekko-persistence-jdbc) at a database: an embedded H2 file or a
 * PostgreSQL server. The overlay sets {@code offsync.journal.*} and the resolved {@code slick} section of every
 * jdbc plugin, so it works whether it is layered over a resolved configuration ({@code withFallback(load())}) or
 * loaded with {@code ConfigFactory.load(overlay)}.
 */
public final class JournalConfig {

  private static final List<String> PLUGINS =
      List.of("jdbc-journal", "jdbc-snapshot-store", "jdbc-read-journal", "jdbc-durable-state-store");

  private JournalConfig() {}

  /** The embedded H2 file database at {@code file} (without the {@code .mv.db} suffix). */
  public static Config h2(Path file) {
    String path = file.toAbsolutePath().normalize().toString();
    return forUrl("jdbc:h2:file:" + path + ";DATABASE_TO_UPPER=false", "root", "root")
        .withValue("offsync.journal.h2-path", ConfigValueFactory.fromAnyRef(path));
  }

  /**
   * The database at JDBC {@code url}: {@code jdbc:h2:...} or {@code jdbc:postgresql://host:port/db}; the driver and
   * Slick profile follow from the URL. Anything else is refused with the supported forms.
   */
  public static Config forUrl(String url, String user, String password) {
    String driver;
    String profile;
    String lower = url == null ? "" : url.toLowerCase(Locale.ROOT);
    if (lower.startsWith("jdbc:h2:")) {
      driver = "org.h2.Driver";
      profile = "slick.jdbc.H2Profile$";
    } else if (lower.startsWith("jdbc:postgresql:")) {
      driver = "org.postgresql.Driver";
      profile = "slick.jdbc.PostgresProfile$";
    } else {
      throw new IllegalArgumentException("unsupported journal database URL '" + url + "': use jdbc:h2:file:/path"
          + " (embedded H2 file) or jdbc:postgresql://host:port/database");
    }
    Map<String, Object> values = new HashMap<>();
    values.put("offsync.journal.url", url);
    values.put("offsync.journal.driver", driver);
    values.put("offsync.journal.profile", profile);
    values.put("offsync.journal.user", user);
    values.put("offsync.journal.password", password);
    List<String> sections = new ArrayList<>(PLUGINS);
    sections.add("offsync.journal");
    for (String prefix : sections) {
      values.put(prefix + ".slick.profile", profile);
      values.put(prefix + ".slick.db.url", url);
      values.put(prefix + ".slick.db.driver", driver);
      values.put(prefix + ".slick.db.user", user);
      values.put(prefix + ".slick.db.password", password);
    }
    return ConfigFactory.parseMap(values);
  }
}
