package io.offsync.synctool.http;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.offsync.protocol.admin.SubtaskStatus;
import io.offsync.protocol.openmldb.DataSync;
import io.offsync.synctool.ProgressFiles;
import java.nio.file.Path;
import java.util.List;

/**
 * The OpenMLDB SyncTool's protobuf-JSON, as brpc-java produced it: protobuf-java-util {@link JsonFormat} with
 * default settings (lowerCamelCase keys, enum names, 64-bit integers as strings, only present fields, 2-space
 * pretty printing); the parser accepts snake_case and camelCase names and refuses unknown keys.
 */
public final class OpenMldbJson {

  private static final JsonFormat.Printer PRINTER = JsonFormat.printer();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  private OpenMldbJson() {}

  public static String print(Message m) {
    try {
      return PRINTER.print(m);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Parses {@code json} (blank = empty message) into {@code builder}; a bad body throws with the reason. */
  public static <B extends Message.Builder> B parse(String json, B builder) throws InvalidProtocolBufferException {
    if (!json.isBlank()) {
      PARSER.merge(json, builder);
    }
    return builder;
  }

  public static DataSync.GeneralResponse ok() {
    return DataSync.GeneralResponse.newBuilder().setCode(0).build();
  }

  /** Success with a message (e.g. a delete that found nothing to delete). */
  public static DataSync.GeneralResponse ok(String msg) {
    return DataSync.GeneralResponse.newBuilder().setCode(0).setMsg(msg).build();
  }

  public static DataSync.GeneralResponse error(String msg) {
    return DataSync.GeneralResponse.newBuilder().setCode(-1).setMsg(msg).build();
  }

  /**
   * The {@code TaskStatus} answer: one {@code Task} per subtask and, at the same index, its {@code readableInfo}
   * {@code "lastUpdateTime=<epoch ms>;lastCommitTime=<epoch ms>;progressPath=<file>;persistenceId=<id>;journal=<where>"}
   * (the original's two keys first, same meaning; values never contain the {@code ;} and {@code =} that OpenMLDB's
   * helper splits on). {@code lastUpdateTime} is the last contact with the stream (collector heartbeats included),
   * {@code lastCommitTime} the last committed file (0 = none yet), {@code progressPath} the subtask's
   * {@link io.offsync.synctool.ProgressFiles progress file} on the node running it, {@code persistenceId} and
   * {@code journal} where its truth is. With no subtask both lists are absent, as the original.
   *
   * @param desEndpoint this node's advertised {@code host:port} (the original's {@code des_endpoint})
   * @param progressPath {@code sync_task.progress_path}
   * @param journal the journal's location (H2 file or JDBC URL without parameters)
   */
  public static DataSync.TaskStatusResponse taskStatus(List<SubtaskStatus> subtasks, String desEndpoint,
      Path progressPath, String journal) {
    DataSync.TaskStatusResponse.Builder b = DataSync.TaskStatusResponse.newBuilder().setResponse(ok());
    for (SubtaskStatus s : subtasks) {
      b.addTask(task(s, desEndpoint));
      b.addReadableInfo("lastUpdateTime=" + s.getLastUpdateMs() + ";lastCommitTime=" + s.getLastCommitMs()
          + ";progressPath=" + ProgressFiles.path(progressPath, s.getTid(), s.getPid())
          + ";persistenceId=" + s.getPersistenceId() + ";journal=" + journal);
    }
    return b.build();
  }

  static DataSync.Task task(SubtaskStatus s, String desEndpoint) {
    DataSync.AddSyncTaskRequest.Builder progress = DataSync.AddSyncTaskRequest.newBuilder()
        .setTid(s.getTid())
        .setPid(s.getPid())
        .setMode(DataSync.SyncMode.forNumber(s.getMode()))
        .setStartTs(s.getStartTs())
        .setSyncPoint(syncPoint(s))
        .setTabletEndpoint(s.getTabletEndpoint())
        .setDesEndpoint(desEndpoint)
        .setToken(s.getPersistenceId())
        .setDest(s.getDest());
    return DataSync.Task.newBuilder()
        .setProgress(progress)
        .setDataCollector(s.getCollector())
        .setCount(s.getRows())
        .setStatus(s.getState())
        .build();
  }

  private static DataSync.SyncPoint syncPoint(SubtaskStatus s) {
    if ("binlog".equals(s.getPhase())) {
      return DataSync.SyncPoint.newBuilder().setType(DataSync.SyncType.kBINLOG).setOffset(s.getBinlogOffset())
          .build();
    }
    DataSync.SyncPoint.Builder p = DataSync.SyncPoint.newBuilder().setType(DataSync.SyncType.kSNAPSHOT);
    if (!s.getSnapshotKeyPk().isEmpty()) {
      p.setPk(s.getSnapshotKeyPk()).setTs(s.getSnapshotKeyTs());
    }
    return p.build();
  }
}
