# Managed by Ansible (onprem.wandb.mysql_backup); local changes are overwritten.
"""Back up, check and restore the W&B MySQL database with restic (off-host, encrypted).

  onprem-wandb-mysql-backup dump       consistent dump (mysqldump --single-transaction) + binary logs + retention
  onprem-wandb-mysql-backup binlogs    ship the closed binary logs (point-in-time recovery between dumps)
  onprem-wandb-mysql-backup check      restic check of the repository
  onprem-wandb-mysql-backup status     JSON: snapshots, last successes, what retention would remove
  onprem-wandb-mysql-backup restore [--snapshot ID] [--to-time 'YYYY-MM-DD HH:MM:SS'] [--from-host H] [--force]
  onprem-wandb-mysql-backup restic ARGS...   restic with this host's repository settings

Settings: /etc/onprem-wandb/mysql-backup/config.json (root-only); restic reads the repository,
its password file and the target's settings from restic.env beside it, S3 keys from aws-credentials
(all root-only): never from a command line, and no S3 key in restic's environment.
"""
import argparse
import datetime
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

CONFIG_DIR = "/etc/onprem-wandb/mysql-backup"
STATE_DIR = "/var/lib/onprem-wandb/mysql-backup"
TAG = "onprem-wandb"
DUMP_TAG = "mysql-dump"
BINLOG_TAG = "mysql-binlog"


def load():
    with open(os.path.join(CONFIG_DIR, "config.json")) as handle:
        config = json.load(handle)
    env = dict(os.environ)
    with open(os.path.join(CONFIG_DIR, "restic.env")) as handle:
        for line in handle:
            line = line.rstrip("\n")
            if line and not line.startswith("#") and "=" in line:
                name, value = line.split("=", 1)
                env[name] = json.loads(value) if value.startswith('"') else value
    return config, env


def run(argv, env, check=True, **kwargs):
    return subprocess.run(argv, env=env, check=check, **kwargs)


def mysql(config, sql, env):
    return run(["mysql", "--socket", config["socket"], "--batch", "--skip-column-names", "-e", sql], env,
               stdout=subprocess.PIPE, universal_newlines=True).stdout


def stamp(name):
    os.makedirs(STATE_DIR, mode=0o700, exist_ok=True)
    path = os.path.join(STATE_DIR, name + ".last-success")
    with open(path + ".tmp", "w") as handle:
        handle.write("%d\n" % int(time.time()))
    os.replace(path + ".tmp", path)


def restic(config, env, *args, **kwargs):
    del config  # one signature for every call; the repository and its secrets come from env
    return run(["restic", "--quiet"] + list(args), env, **kwargs)


def ship_binlogs(config, env):
    rows = mysql(config, "FLUSH BINARY LOGS; SELECT @@GLOBAL.log_bin_basename; SHOW BINARY LOGS", env).splitlines()
    basename, logs = rows[0].strip(), [row.split("\t")[0] for row in rows[1:] if row.strip()]
    directory = os.path.dirname(basename)
    closed = [os.path.join(directory, name) for name in logs[:-1]]
    if not closed:
        return
    with tempfile.NamedTemporaryFile("w", dir=STATE_DIR, delete=False) as listing:
        listing.write("\n".join(closed) + "\n")
    try:
        restic(config, env, "backup", "--host", config["host"], "--tag", "%s,%s" % (TAG, BINLOG_TAG),
               "--files-from-verbatim", listing.name)
    finally:
        os.unlink(listing.name)


def retention_args(config):
    args = ["--tag", TAG, "--host", config["host"], "--group-by", "host,tags"]
    for period in ("daily", "weekly", "monthly"):
        if int(config.get("keep_" + period, 0)) > 0:
            args += ["--keep-" + period, str(config["keep_" + period])]
    return args


def dump(config, env):
    os.makedirs(STATE_DIR, mode=0o700, exist_ok=True)
    # --flush-logs starts a new binary log at the dump's consistent point, whose name and position
    # --source-data=2 writes into the dump (a comment): the point-in-time replay starts there.
    restic(config, env, "backup", "--host", config["host"], "--tag", "%s,%s" % (TAG, DUMP_TAG),
           "--stdin-filename", config["database"] + ".sql", "--stdin-from-command", "--",
           "mysqldump", "--socket", config["socket"], "--single-transaction", "--flush-logs", "--source-data=2",
           "--set-gtid-purged=OFF", "--routines", "--triggers", "--events", "--hex-blob",
           "--default-character-set=utf8mb4", "--databases", config["database"])
    ship_binlogs(config, env)
    restic(config, env, "forget", "--prune", *retention_args(config))
    stamp("dump")
    stamp("binlogs")


def snapshots(config, env, tag, host=None, timeout=None):
    out = restic(config, env, "snapshots", "--json", "--host", host or config["host"], "--tag", "%s,%s" % (TAG, tag),
                 stdout=subprocess.PIPE, universal_newlines=True, timeout=timeout).stdout
    return sorted(json.loads(out or "[]"), key=lambda snap: snap["time"])


def parse_time(text):
    # restic: 2026-12-02T22:50:01.123456789+00:00 (nanoseconds); keep microseconds for Python.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def last_success(name):
    try:
        with open(os.path.join(STATE_DIR, name + ".last-success")) as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def status(config, env):
    result = dict(host=config["host"], database=config["database"], retention=retention_args(config)[6:],
                  last_success=dict((name, last_success(name)) for name in ("dump", "binlogs", "check")), now=int(time.time()))
    # restic retries an unreachable target for many minutes; a status read gives up sooner.
    timeout = int(config.get("status_timeout", 60))
    try:
        dumps = snapshots(config, env, DUMP_TAG, timeout=timeout)
        binlogs = snapshots(config, env, BINLOG_TAG, timeout=timeout)
        plan = json.loads(restic(config, env, "forget", "--dry-run", "--json", *retention_args(config),
                                 stdout=subprocess.PIPE, universal_newlines=True, timeout=timeout).stdout or "[]")
    except subprocess.CalledProcessError as exc:
        result.update(reachable=False, error="restic exited with %s" % exc.returncode)
        return result
    except subprocess.TimeoutExpired:
        result.update(reachable=False, error="no answer from %s within %ss" % (env.get("RESTIC_REPOSITORY"), timeout))
        return result
    result.update(
        reachable=True,
        dumps=[dict(id=snap["short_id"], time=int(parse_time(snap["time"]).timestamp())) for snap in dumps],
        binlogs=[dict(id=snap["short_id"], time=int(parse_time(snap["time"]).timestamp())) for snap in binlogs],
        retention_would_remove=sum(len(group.get("remove") or []) for group in plan),
    )
    return result


def restore(config, env, args):
    host = args.from_host or config["host"]
    dumps = snapshots(config, env, DUMP_TAG, host)
    if args.to_time:
        until = datetime.datetime.strptime(args.to_time, "%Y-%m-%d %H:%M:%S").astimezone()
        dumps = [snap for snap in dumps if parse_time(snap["time"]) <= until]
    if args.snapshot != "latest":
        dumps = [snap for snap in dumps if args.snapshot in (snap["id"], snap["short_id"])]
    if not dumps:
        sys.exit("no dump snapshot of %s matches (snapshot %s%s)" % (
            host, args.snapshot, ", before " + args.to_time if args.to_time else ""))
    chosen = dumps[-1]
    database = config["database"]
    tables = mysql(config, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '%s'" % database, env).strip()
    if tables != "0" and not args.force:
        sys.exit("the database %s holds %s tables: restoring would replace them (force it: mysql_backup_restore_force=true, or --force)" % (database, tables))
    work = tempfile.mkdtemp(dir=STATE_DIR)
    try:
        path = os.path.join(work, "dump.sql")
        with open(path, "wb") as handle:
            restic(config, env, "dump", chosen["id"], "/" + database + ".sql", stdout=handle)
        mysql(config, "DROP DATABASE IF EXISTS `%s`" % database, env)
        with open(path, "rb") as handle:
            run(["mysql", "--socket", config["socket"], "--default-character-set=utf8mb4"], env, stdin=handle)
        replayed = []
        if args.to_time:
            replayed = replay_binlogs(config, env, host, path, work, args.to_time)
        print(json.dumps(dict(snapshot=chosen["short_id"], snapshot_time=chosen["time"], database=database,
                              to_time=args.to_time or None, binlogs_replayed=replayed)))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def replay_binlogs(config, env, host, dump_path, work, to_time):
    start = None
    with open(dump_path, errors="replace") as handle:
        for line in handle:
            match = re.search(r"SOURCE_LOG_FILE='([^']+)', SOURCE_LOG_POS=(\d+)", line)
            if match:
                start = match.group(1), int(match.group(2))
                break
            if line.startswith("CREATE DATABASE"):
                break
    if start is None:
        sys.exit("the dump names no binary log position (made without --source-data): no point-in-time replay")
    binlogs = snapshots(config, env, BINLOG_TAG, host)
    if not binlogs:
        sys.exit("no binary log snapshot of %s: cannot replay to %s" % (host, to_time))
    target = os.path.join(work, "binlogs")
    restic(config, env, "restore", binlogs[-1]["id"], "--target", target)
    files = sorted(path for path in glob.glob(os.path.join(target, "**", "*"), recursive=True)
                   if re.search(r"\.\d{6,}$", path) and os.path.basename(path) >= start[0])
    names = [os.path.basename(path) for path in files]
    if not names or names[0] != start[0]:
        sys.exit("the binary log %s the dump starts at is not in the newest binary log snapshot" % start[0])
    # --skip-gtids: the events get new GTIDs here (the originals may be in this server's gtid_executed
    # already, and would be skipped); --database: only the W&B database's changes.
    binlog = subprocess.Popen(["mysqlbinlog", "--skip-gtids", "--database", config["database"],
                               "--start-position", str(start[1]), "--stop-datetime", to_time] + files,
                              env=env, stdout=subprocess.PIPE)
    run(["mysql", "--socket", config["socket"]], env, stdin=binlog.stdout)
    binlog.stdout.close()
    if binlog.wait() != 0:
        sys.exit("mysqlbinlog failed (exit %s)" % binlog.returncode)
    return names


def main():
    parser = argparse.ArgumentParser(prog="onprem-wandb-mysql-backup", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("dump", "binlogs", "check", "status"):
        sub.add_parser(name)
    restore_parser = sub.add_parser("restore")
    restore_parser.add_argument("--snapshot", default="latest")
    restore_parser.add_argument("--to-time", default="")
    restore_parser.add_argument("--from-host", default="")
    restore_parser.add_argument("--force", action="store_true")
    sub.add_parser("restic", help="restic with this host's repository settings (the arguments follow)")
    if sys.argv[1:2] == ["restic"]:
        config, env = load()
        sys.exit(run(["restic"] + sys.argv[2:], env, check=False).returncode)
    args = parser.parse_args()
    config, env = load()
    os.makedirs(STATE_DIR, mode=0o700, exist_ok=True)
    if args.command == "dump":
        dump(config, env)
    elif args.command == "binlogs":
        ship_binlogs(config, env)
        # The retention applied to what was just shipped (forget without prune: the daily dump prunes). Without it the
        # hourly snapshots since the last dump were "outside the retention" to every status read, and verify failed
        # most of the day.
        restic(config, env, "forget", *retention_args(config))
        stamp("binlogs")
    elif args.command == "check":
        restic(config, env, "check")
        stamp("check")
    elif args.command == "status":
        print(json.dumps(status(config, env)))
    else:
        restore(config, env, args)


if __name__ == "__main__":
    try:
        main()
    except subprocess.CalledProcessError as exc:
        sys.exit("%s exited with %s" % (exc.cmd[0], exc.returncode))
