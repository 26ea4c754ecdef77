#!/usr/bin/env python3
"""Test client for offsync's OpenMLDB HTTP/JSON endpoints (written for offsync's tests).

It sends the requests that OpenMLDB's tools/synctool_helper.py sends and reads the TaskStatus answer the way that
helper does (reference section 5): readableInfo split on ';' and '=', lastUpdateTime turned into local time, the
progress object merged, then the other Task fields, then the table scope summary. Standard library only.

usage: openmldb_helper_compat.py parse                        < status.json
       openmldb_helper_compat.py status HOST:PORT
       openmldb_helper_compat.py create HOST:PORT DB TABLE MODE TS DEST
       openmldb_helper_compat.py delete HOST:PORT DB TABLE
       openmldb_helper_compat.py tool-status CONF
"""
import configparser
import json
import os
import sys
import urllib.request
from datetime import datetime

SERVICE = "openmldb.datasync.SyncTool"


def call(server, method, http_method, body):
    request = urllib.request.Request(
        "http://%s/%s/%s" % (server, SERVICE, method),
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method=http_method)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.read().decode("utf-8")


def show_status(text):
    resp = json.loads(text)
    assert resp["response"]["code"] == 0, resp
    if "readableInfo" not in resp:
        print("no task")
        return
    tasks = resp["task"]
    infos = resp["readableInfo"]
    print("%d tasks(tid-pid)" % len(tasks))
    by_tid = {}
    failed = set()
    for task, info in zip(tasks, infos):
        entry = {}
        for pair in info.split(";"):
            key, value = pair.split("=")
            entry[key] = value
        entry["lastUpdateTime"] = str(datetime.fromtimestamp(int(entry["lastUpdateTime"]) / 1000))
        entry.update(task["progress"])
        for key, value in task.items():
            if key != "progress":
                entry[key] = value
        print(entry)
        by_tid.setdefault(entry["tid"], {})[entry["pid"]] = entry
        if entry["status"] == "FAILED":
            failed.add(entry["tid"])
    print("table scope")
    print("running tasks:")
    for tid, parts in by_tid.items():
        if tid not in failed:
            print("tid %s task is running, pid parts: %s" % (tid, parts.keys()))
    if not failed:
        print("all tasks are running")
        return
    print("tasks contains failed part: %s" % failed)
    for tid in failed:
        print("tid: %s" % tid)
        for entry in by_tid[tid].values():
            if entry["status"] == "FAILED":
                print("failed part: %s" % entry)


def tool_status(config_path):
    """As the helper's tool-status: the properties through configparser under a dummy section, the four keys it
    reads (a missing one is a KeyError), then every file under sync_task.progress_path."""
    parser = configparser.ConfigParser()
    with open(config_path, "r") as f:
        parser.read_string("[dummy_section]\n" + f.read())
    cfgs = dict(parser.items("dummy_section"))
    print(cfgs)
    print("server", cfgs["server.host"] + ":" + cfgs["server.port"])
    progress_root = cfgs["sync_task.progress_path"]
    print("data cache path", repr(cfgs["data.cache_path"]))
    print("sync task progress in sync tool fs")
    for dirpath, dirnames, filenames in os.walk(progress_root):
        for filename in filenames:
            print(os.path.join(dirpath, filename))


def main(argv):
    verb = argv[1]
    if verb == "parse":
        show_status(sys.stdin.read())
    elif verb == "status":
        show_status(call(argv[2], "TaskStatus", "GET", {}))
    elif verb == "create":
        mode = int(argv[5])
        body = {"db": argv[3], "name": argv[4], "mode": mode, "start_ts": int(argv[6]) if mode == 1 else 0,
                "dest": argv[7]}
        print(call(argv[2], "CreateSyncTask", "POST", body))
    elif verb == "delete":
        print(call(argv[2], "DeleteSyncTask", "POST", {"db": argv[3], "name": argv[4]}))
    elif verb == "tool-status":
        tool_status(argv[2])
    else:
        raise SystemExit("unknown verb " + verb)


if __name__ == "__main__":
    main(sys.argv)
