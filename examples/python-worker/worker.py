#!/usr/bin/env python3
"""A Tributary worker in Python for the loan-application example and the
resize-images example (a map: one child task per file).

It speaks the worker protocol directly: SQS (boto3) for the hints, the HTTP
API (the standard library's urllib) for the claim, heartbeats and the result.
No Tributary SDK is needed; README.md beside this file explains each step.

Configuration (environment), each with a local-stack default:
  TRIBUTARY_URL          the API (default: apiUrl from .tributary/local.json)
  TRIBUTARY_QUEUE_URL    the SQS queue to read (default: queues.default from local.json)
  AWS_ENDPOINT_URL_SQS   SQS endpoint (default: sqsEndpoint from local.json; unset for real SQS)
  AWS_REGION             (default: region from local.json, else us-east-1)
  WORKER_ID              (default: python-<hostname>-<pid>)
  LOAN_WORK_SECONDS      how long each check "works" (default 0.3), to see heartbeats
  RESIZE_WORK_SECONDS    how long each thumbnail "works" (default 0.1)
  HEARTBEAT_EVERY        seconds between heartbeats (default: a third of the lease)
  LEASE_SECONDS          the lease each claim asks for, 1..43200 (default: the task's timeoutSeconds)
  CONCURRENCY            tasks run at once, each in a thread (default 10)

What one receive brings (up to 10 messages) is claimed in one call,
POST /tasks/claim; results are sent in batches, POST /tasks/complete and
/tasks/fail, when 10 wait or after at most 50 ms; heartbeats stay per task.

Run it next to `npm start`:  python3 examples/python-worker/worker.py
Stop it with Ctrl-C (or SIGTERM): it finishes the task in hand, then exits.
"""
import json
import os
import posixpath
import re
import signal
import socket
import sys
import threading
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from datetime import datetime, timezone

import boto3

# Claim answers that mean "this message has nothing left to say": delete it.
# 404: the process, task or definition is gone. 409: someone else holds the
# lease (if they die, the sweeper sends a new message), the task already
# ended or is not yet schedulable, or the process ended.
DELETE_CODES = {
    "TaskAlreadyClaimed", "TaskNotActive", "ProcessNotRunning",
    "ProcessNotFound", "TaskNotFound", "DefinitionNotFound", "ProcessTaskNotClaimable",
}
# A batch item's error carries no status: the one its single call would answer.
STATUS_BY_CODE = {
    "ValidationError": 400, "ProcessNotFound": 404, "TaskNotFound": 404, "DefinitionNotFound": 404,
    "TaskAlreadyClaimed": 409, "TaskNotActive": 409, "LeaseMismatch": 409, "ProcessNotRunning": 409,
    "ProcessPaused": 409, "ConcurrencyConflict": 409, "PayloadTooLarge": 413,
    "ConcurrencyLimited": 409, "RateLimited": 409, "ProcessTaskNotClaimable": 409,
}
# One SQS receive brings at most 10 messages; a batch call takes as many.
MAX_BATCH = 10
# The longest a result waits for others to share its call.
FLUSH_SECONDS = 0.05
# Claim answers with details.notBefore: the task waits (a retry's backoff, or a task's
# concurrency or rate limit). Hide the message until then: no busy polling, and no
# waiting the whole visibility timeout.
POSTPONE_CODES = {"TaskNotActive", "ConcurrencyLimited", "RateLimited"}
# SQS's longest visibility timeout (12 h).
MAX_VISIBILITY_SECONDS = 43_200
# The task people complete through the API; no worker runs it.
MANUAL_TASKS = {"Open Loan Application"}
# A child of a map is the task `<map>[<index>]`, e.g. resize[41].
CHILD_TASK = re.compile(r"^(.+)\[(0|[1-9][0-9]*)\]$", re.DOTALL)
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".webp")

stopping = threading.Event()


def log(event, **fields):
    """One JSON line per event on stderr, like the TypeScript worker."""
    print(json.dumps({"event": event, **fields}), file=sys.stderr, flush=True)


class ApiError(Exception):
    """An answer with the API's error body {"error": {"code", "message"}}."""

    def __init__(self, status, code, message, details=None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.details = status, code, message, details

    def not_before(self):
        """When a refused claim may succeed (epoch seconds): a retry's backoff, or a task limit
        (ConcurrencyLimited, RateLimited); None otherwise."""
        if self.code not in POSTPONE_CODES or not isinstance(self.details, dict):
            return None
        at = self.details.get("notBefore")
        try:
            return datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp() if isinstance(at, str) else None
        except ValueError:
            return None


def find_local_state():
    """.tributary/local.json: $TRIBUTARY_HOME, or this directory or the nearest parent with one."""
    home = os.environ.get("TRIBUTARY_HOME")
    candidates = [os.path.join(home, "local.json")] if home else []
    directory = os.getcwd()
    while True:
        candidates.append(os.path.join(directory, ".tributary", "local.json"))
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    for path in candidates:
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                return json.load(f)
    return {}


class Api:
    """The worker routes of the HTTP API, over urllib: single calls and their batch forms."""

    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")

    def _request(self, path, body):
        request = urllib.request.Request(
            self.base_url + path, data=json.dumps(body).encode("utf-8"), method="POST",
            headers={"content-type": "application/json", "accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            try:
                detail = json.loads(error.read())["error"]
            except (ValueError, KeyError, TypeError):
                detail = {"code": "HttpError", "message": str(error)}
            raise ApiError(error.code, detail.get("code"), detail.get("message"), detail.get("details")) from None

    def _post(self, process_id, task, action, body):
        path = f"/processes/{urllib.parse.quote(process_id, safe='')}/tasks/{urllib.parse.quote(task, safe='')}/{action}"
        return self._request(path, body)

    def heartbeat(self, process_id, task, lease_token):
        return self._post(process_id, task, "heartbeat", {"leaseToken": lease_token})

    def claim_tasks(self, worker_id, tasks):
        """POST /tasks/claim: one result per task, in order: the claim, or {"error": {...}}."""
        body = {"workerId": worker_id, "tasks": tasks}
        # A lease of its own length (heartbeats then extend by as much); without it, the task's timeoutSeconds.
        if os.environ.get("LEASE_SECONDS"):
            body["leaseSeconds"] = int(os.environ["LEASE_SECONDS"])
        return self._request("/tasks/claim", body)["results"]

    def end_tasks(self, kind, items):
        """POST /tasks/complete or /tasks/fail: one result per item, in order."""
        return self._request(f"/tasks/{kind}", {"items": items})["results"]


def item_error(result):
    """A batch item's error as the ApiError its single call would raise; None for a success."""
    if "error" not in result:
        return None
    error = result["error"]
    return ApiError(STATUS_BY_CODE.get(error.get("code"), 500), error.get("code"), error.get("message"), error.get("details"))


class ResultBatcher:
    """Shares calls among results: each kind ("complete", "fail") is sent when
    MAX_BATCH wait, or FLUSH_SECONDS after the first. send() blocks its caller's
    thread until its own item's answer, and raises its error."""

    def __init__(self, api):
        self.api = api
        self.lock = threading.Lock()
        self.pending = {"complete": [], "fail": []}
        self.timer = None

    def send(self, kind, item):
        slot = {"item": item, "done": threading.Event()}
        full = None
        with self.lock:
            self.pending[kind].append(slot)
            if len(self.pending[kind]) >= MAX_BATCH:
                full, self.pending[kind] = self.pending[kind], []
            elif self.timer is None:
                self.timer = threading.Timer(FLUSH_SECONDS, self.flush)
                self.timer.daemon = True
                self.timer.start()
        if full:
            self._deliver(kind, full)
        slot["done"].wait()
        if "error" in slot:
            raise slot["error"]
        return slot["result"]

    def flush(self):
        with self.lock:
            batches, self.pending = self.pending, {"complete": [], "fail": []}
            if self.timer is not None:
                self.timer.cancel()
            self.timer = None
        for kind, batch in batches.items():
            if batch:
                self._deliver(kind, batch)

    def _deliver(self, kind, batch):
        try:
            results = self.api.end_tasks(kind, [slot["item"] for slot in batch])
            for slot, result in zip(batch, results):
                error = item_error(result)
                if error is None:
                    slot["result"] = result
                else:
                    slot["error"] = error
        except (ApiError, OSError) as error:
            # The call failed whole: every item's lease expires and its task is retried.
            for slot in batch:
                slot["error"] = error
        finally:
            for slot in batch:
                slot["done"].set()


class TaskFailed(Exception):
    """A handler's way to fail the task with a code."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def work(seconds, lease_lost):
    """Stands in for a call to a credit bureau or an identity service."""
    if lease_lost.wait(seconds):
        raise TaskFailed("LeaseLost", "the lease was lost; giving up")


def map_of(message):
    """The map a message's task is a child of: its `map` field, else what its name spells (`resize[41]`); None for other tasks."""
    if message.get("map") is not None:
        return message["map"]
    match = CHILD_TASK.match(message["task"])
    return match.group(1) if match else None


def handle(message, claim, lease_lost):
    """Routes a claimed task to its handler: a child of the map `resize`, or a task by its name."""
    if map_of(message) == "resize":
        # The claim is the authority for the child's item and index; `upstream` is the map task's.
        return resize(claim["item"], claim["index"], lease_lost)
    if message["task"] == "report":
        return report(claim["input"].get("upstream") or {})
    return handle_loan(message["task"], claim["input"], lease_lost)


def resize(item, index, lease_lost):
    """One child of the map `resize`: a thumbnail for one file. A file that is not an image fails its child only."""
    if not isinstance(item, str) or not item.lower().endswith(IMAGE_EXTENSIONS):
        raise TaskFailed("NotAnImage", f"item {index} is not an image file: {item!r}")
    work(float(os.environ.get("RESIZE_WORK_SECONDS", "0.1")), lease_lost)
    stem, _ = posixpath.splitext(posixpath.basename(item))
    return {"file": item, "index": index, "thumbnail": f"thumbnails/{stem}-128.png"}


def report(upstream):
    """After the map: `upstream['resize']` is {total, completed, failed, results}, results in index order (None for a failed child)."""
    resized = upstream["resize"]
    summary = {"total": resized["total"], "completed": resized["completed"], "failed": resized["failed"]}
    if resized.get("resultsOmitted"):
        # Too many outputs for one message: they are read page by page, GET /processes/{id}/tasks?map=resize.
        return {**summary, "thumbnails": None}
    return {**summary, "thumbnails": [r["thumbnail"] for r in resized.get("results") or [] if r is not None]}


def handle_loan(task, task_input, lease_lost):
    """The loan application's handlers. `task_input` is {process, upstream}."""
    application = task_input.get("process") or {}
    upstream = task_input.get("upstream") or {}
    seconds = float(os.environ.get("LOAN_WORK_SECONDS", "0.3"))
    if task == "Review Credit":
        amount = upstream["Open Loan Application"]["amount"]
        work(seconds, lease_lost)
        return {"score": 712 if amount <= 2_000_000 else 580, "amount": amount}
    if task == "Check Identity":
        work(seconds, lease_lost)
        applicant = application.get("applicant", "")
        # The failure path: an applicant the identity service does not know.
        if "Mallory" in applicant:
            raise TaskFailed("IdentityNotVerified", f"could not verify the identity of {applicant}")
        return {"verified": True, "applicant": applicant}
    if task == "Decide":
        credit, identity = upstream["Review Credit"], upstream["Check Identity"]
        approved = identity["verified"] and credit["score"] >= 650
        return {"approved": approved, "rate": 0.049 if approved else None, "amount": credit["amount"]}
    raise TaskFailed("UnknownTask", f"this worker has no handler for '{task}'")


def seconds_until(iso_instant):
    instant = datetime.fromisoformat(iso_instant.replace("Z", "+00:00"))
    return (instant - datetime.now(timezone.utc)).total_seconds()


def run_task(api, results, message_body, claim):
    """A claimed task: the handler while heartbeating, then its result, in the next batch."""
    process_id, task = message_body["processId"], message_body["task"]
    token = claim["leaseToken"]
    lease_lost = threading.Event()
    done = threading.Event()
    every = float(os.environ.get("HEARTBEAT_EVERY", "0")) or max(1.0, seconds_until(claim["leaseExpiresAt"]) / 3)

    def keep_lease():
        while not done.wait(every):
            try:
                api.heartbeat(process_id, task, token)
                log("heartbeat", processId=process_id, task=task)
            except ApiError as error:
                if error.status == 409 or error.status == 404:
                    # LeaseMismatch, TaskNotActive, ProcessNotRunning: the lease is gone.
                    log("lease-lost", processId=process_id, task=task, code=error.code)
                    lease_lost.set()
                    return
                log("heartbeat-failed", processId=process_id, task=task, code=error.code)
            except OSError as error:
                # A network error: try again at the next beat; the lease is still ours until it expires.
                log("heartbeat-failed", processId=process_id, task=task, error=str(error))

    keeper = threading.Thread(target=keep_lease, daemon=True)
    keeper.start()
    try:
        output = handle(message_body, claim, lease_lost)
        result = ("complete", {"output": output})
    except TaskFailed as error:
        result = ("fail", {"error": {"message": str(error), "code": error.code}})
    except Exception as error:  # noqa: BLE001 - any handler error fails the task, with its class as code
        result = ("fail", {"error": {"message": str(error), "code": type(error).__name__}})
    finally:
        done.set()
        keeper.join()
    if lease_lost.is_set():
        log("result-dropped", processId=process_id, task=task)
        return
    kind, body = result
    try:
        results.send(kind, {"processId": process_id, "task": task, "leaseToken": token, **body})
        if kind == "complete":
            log("completed", processId=process_id, task=task, attempt=claim["attempt"])
        else:
            log("failed", processId=process_id, task=task, code=body["error"]["code"])
    except ApiError as error:
        # 409 LeaseMismatch: the lease expired and the task went to another worker; this result is dropped.
        log("result-refused", processId=process_id, task=task, code=error.code)
    except OSError as error:
        # Not recorded: the lease expires and the sweeper schedules the task again.
        log("result-failed", processId=process_id, task=task, error=str(error))


def delete_messages(sqs, queue_url, receipts):
    """One DeleteMessageBatch for the messages of one receive that have done their job."""
    if receipts:
        entries = [{"Id": str(i), "ReceiptHandle": r} for i, r in enumerate(receipts)]
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)


def claim_received(api, sqs, queue_url, worker_id, messages):
    """Claims the tasks of one receive in one call; answers [(message body, claim)] for those this worker got."""
    done, to_claim = [], []
    for message in messages:
        try:
            body = json.loads(message["Body"])
            body["processId"], body["task"]
        except (ValueError, KeyError, TypeError):
            log("malformed-message", body=message.get("Body", "")[:200])
            done.append(message["ReceiptHandle"])
            continue
        if body["task"] in MANUAL_TASKS:
            # People complete it through the API; put back, it would cycle into the DLQ.
            done.append(message["ReceiptHandle"])
            continue
        to_claim.append((message["ReceiptHandle"], body))
    claimed = []
    if to_claim:
        try:
            answers = api.claim_tasks(worker_id, [{"processId": b["processId"], "task": b["task"]} for _, b in to_claim])
        except (ApiError, OSError) as error:
            # 5xx, 429, a network error: leave them all; they come back after the visibility timeout.
            log("claim-failed", tasks=len(to_claim), error=str(error))
            answers = []
        for (receipt, body), answer in zip(to_claim, answers):
            error = item_error(answer)
            not_before = error.not_before() if error is not None else None
            if error is None:
                # The claim is the authority: the message has done its job. If this worker
                # now dies, the lease expires and the sweeper sends a new message.
                claimed.append((body, answer))
                done.append(receipt)
            elif not_before is not None:
                # A retry's backoff or a task limit: hide the message until the claim may succeed.
                seconds = min(MAX_VISIBILITY_SECONDS, max(0, math.ceil(not_before - time.time())))
                log("postponed", processId=body["processId"], task=body["task"], code=error.code, seconds=seconds)
                try:
                    sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt, VisibilityTimeout=seconds)
                except Exception as change_error:  # noqa: BLE001 - it comes back after the visibility timeout anyway
                    log("postpone-failed", processId=body["processId"], task=body["task"], error=str(change_error))
            elif error.code in DELETE_CODES:
                log("not-ours", processId=body["processId"], task=body["task"], code=error.code)
                done.append(receipt)
            else:
                # ConcurrencyConflict, an item's InternalError: leave it; it comes back after the visibility timeout.
                log("claim-failed", processId=body["processId"], task=body["task"], code=error.code)
    delete_messages(sqs, queue_url, done)
    return claimed


def main():
    state = find_local_state()
    api_url = os.environ.get("TRIBUTARY_URL") or state.get("apiUrl")
    queue_url = os.environ.get("TRIBUTARY_QUEUE_URL") or (state.get("queues") or {}).get("default")
    if not api_url or not queue_url:
        sys.exit("no local stack found (.tributary/local.json): run `npm start` first, or set TRIBUTARY_URL and TRIBUTARY_QUEUE_URL")
    region = os.environ.get("AWS_REGION") or state.get("region") or "us-east-1"
    endpoint = os.environ.get("AWS_ENDPOINT_URL_SQS") or state.get("sqsEndpoint")
    worker_id = os.environ.get("WORKER_ID") or f"python-{socket.gethostname()}-{os.getpid()}"
    sqs_options = {"region_name": region}
    if endpoint:
        sqs_options["endpoint_url"] = endpoint
        # The local emulator accepts any credentials; real ones come from the standard chain.
        sqs_options.setdefault("aws_access_key_id", os.environ.get("AWS_ACCESS_KEY_ID", "local"))
        sqs_options.setdefault("aws_secret_access_key", os.environ.get("AWS_SECRET_ACCESS_KEY", "local"))
    sqs = boto3.client("sqs", **sqs_options)
    api = Api(api_url)
    results = ResultBatcher(api)
    wait_seconds = int(os.environ.get("WAIT_TIME_SECONDS", "2"))
    concurrency = int(os.environ.get("CONCURRENCY", "10"))

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    log("started", workerId=worker_id, queueUrl=queue_url, apiUrl=api_url)

    running = set()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        while not stopping.is_set():
            running = {f for f in running if not f.done()}
            free = concurrency - len(running)
            if free <= 0:
                wait(running, timeout=1, return_when=FIRST_COMPLETED)
                continue
            try:
                received = sqs.receive_message(
                    QueueUrl=queue_url, MaxNumberOfMessages=min(MAX_BATCH, free), WaitTimeSeconds=wait_seconds, AttributeNames=["All"],
                )
                claimed = claim_received(api, sqs, queue_url, worker_id, received.get("Messages", []))
            except Exception as error:  # noqa: BLE001 - e.g. the local stack restarting: back off and retry
                log("receive-failed", error=str(error))
                stopping.wait(2)
                continue
            for body, claim in claimed:
                running.add(pool.submit(run_task, api, results, body, claim))
        # Stopping: the tasks in hand finish and their results are sent.
        wait(running)
        results.flush()
    log("stopped", workerId=worker_id)


if __name__ == "__main__":
    main()
