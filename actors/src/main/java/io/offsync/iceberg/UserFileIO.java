package io.offsync.iceberg;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.UndeclaredThrowableException;
import java.security.PrivilegedExceptionAction;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.iceberg.hadoop.HadoopFileIO;
import org.apache.iceberg.io.FileInfo;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.io.OutputFile;

/**
 * Iceberg's {@link HadoopFileIO} that opens every file system as the Hadoop user that was current when the catalog
 * initialized it: the synctool creates its catalogs inside {@code DestinationUser.call} (the Kerberos principal's
 * {@code doAs}), so manifests, manifest lists and data files are read, written and deleted as that principal even
 * from Iceberg's own worker threads (manifest writing and merging, snapshot expiry), which do not run inside the
 * caller's {@code doAs}. A Hadoop file system keeps the user it was opened as, so the files handed out need nothing
 * more. Without Kerberos the current user is the process user, as with the plain {@link HadoopFileIO}.
 */
public final class UserFileIO extends HadoopFileIO {

  private transient UserGroupInformation user;

  public UserFileIO() {}

  @Override
  public void initialize(Map<String, String> props) {
    super.initialize(props);
    try {
      user = UserGroupInformation.getCurrentUser();
    } catch (IOException e) {
      throw new UncheckedIOException("the current Hadoop user is unknown", e);
    }
  }

  private <T> T asUser(PrivilegedExceptionAction<T> action) {
    if (user == null) {
      try {
        return action.run();
      } catch (Exception e) {
        throw e instanceof RuntimeException r ? r : new UndeclaredThrowableException(e);
      }
    }
    try {
      return user.doAs(action);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while acting as " + user, e);
    }
  }

  @Override
  public InputFile newInputFile(String path) {
    return asUser(() -> super.newInputFile(path));
  }

  @Override
  public InputFile newInputFile(String path, long length) {
    return asUser(() -> super.newInputFile(path, length));
  }

  @Override
  public OutputFile newOutputFile(String path) {
    return asUser(() -> super.newOutputFile(path));
  }

  @Override
  public void deleteFile(String path) {
    asUser(() -> {
      super.deleteFile(path);
      return null;
    });
  }

  /** Listed at once (the plain one lists lazily, as whoever iterates). */
  @Override
  public Iterable<FileInfo> listPrefix(String prefix) {
    return asUser(() -> {
      List<FileInfo> all = new ArrayList<>();
      super.listPrefix(prefix).forEach(all::add);
      return all;
    });
  }

  @Override
  public void deletePrefix(String prefix) {
    asUser(() -> {
      super.deletePrefix(prefix);
      return null;
    });
  }
}
