package io.offsync.synctool.admin;

import io.offsync.protocol.admin.CreateTaskRequest;
import io.offsync.protocol.admin.SubtaskStatus;
import io.offsync.protocol.admin.VerifyReply;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * What the admin endpoints need from the task engine. Every future fails with an {@link AdminException} (or any
 * exception, reported as INTERNAL) when the engine refuses.
 */
public interface TaskAdmin {

  /** Starts a task; {@code request} has every default filled in (format, roll settings) and passed preflight. */
  CompletionStage<Done> create(CreateTaskRequest request);

  /** Stops every subtask of the table's task and forgets it; committed files stay. NOT_FOUND when none. */
  CompletionStage<Done> delete(String db, String table);

  CompletionStage<Done> pause(String db, String table);

  CompletionStage<Done> resume(String db, String table);

  /** One entry per subtask of every task, ordered by tid then pid. */
  CompletionStage<List<SubtaskStatus>> status();

  /**
   * One entry per subtask of the tasks running on this node, ordered by tid then pid: across the nodes of a
   * cluster every subtask of a running task is in exactly one node's answer.
   */
  CompletionStage<List<SubtaskStatus>> localStatus();

  /** The destination of every task, as given at creation (read from the tasks, no ZooKeeper or file system). */
  CompletionStage<Set<String>> destinations();

  /**
   * Checks the committed files of the table's task against its journal and the records in the files (changes
   * nothing). NOT_FOUND when no task was ever created for the table.
   */
  CompletionStage<VerifyReply> verify(String db, String table);
}
