/**
 * Membership changes under faults (issue 16): the owner and an admin of one group add, remove,
 * promote, demote, mute and unmute members at a steady rate, one change at a time, while the
 * members send and the fault suite kills processes. Every change is retried as a real client
 * would (again after a failure or no answer; `conflict` to an add or `not_found` to a removal after
 * a retry says an earlier attempt was done), so its outcome is known, or counted as unknown when
 * the time runs out (that member is then left out of the comparison). Then the checks: the
 * group's seqs have no gaps; replaying its system lines gives the stored membership with its roles
 * and mutes, and contradicts itself nowhere (a `joined` of a member, a `removed` of a non-member);
 * the stored membership is what the acknowledged changes left (nothing lost); and every member's
 * `GET` of the group shows that membership.
 */
import { ImClient, ImError } from "../../client/mod.ts";
import type { GroupMember, Message } from "../../shared/types.ts";
import { befriend, uniqueName } from "../harness.ts";
import { problemsOf, retried, sleep, wholeHistory } from "./_report.ts";
import { asReplayed, replay, type Replayed, sorted, systemLines } from "../_groups.ts";

/** Settings of the scenario. */
export interface MembershipOptions {
  url: string;
  /** Users who come and go (all friends of the owner). */
  pool: number;
  /** Membership changes per second (one at a time). */
  rate: number;
  /** Messages per second the members send in total, around the changes. */
  messageRate?: number;
  /** A change not done within this is given up and its outcome counted as unknown. */
  opTimeoutMs?: number;
}

/** What one run measured. */
export interface MembershipReport {
  /** Acknowledged changes, by kind. */
  adds: number;
  removals: number;
  roles: number;
  mutes: number;
  /** Changes given up with their outcome unknown (their member is left out of the checks). */
  unknown: number;
  /** Changes the protocol allows that were refused. */
  refused: number;
  /** Messages the members sent that were acknowledged. */
  messages: number;
  /** Positions of the group's history whose seq is not the next one. */
  gaps: number;
  /** System lines that contradict the lines before them. */
  wrongLines: number;
  /** Members whose stored state is not what the acknowledged changes left (or left out). */
  lost: number;
  /** Differences between the replayed system lines and the stored membership. */
  replayMismatches: number;
  /** Members whose `GET` of the group differs from the owner's. */
  viewMismatches: number;
  settleMs: number;
  details: string[];
}

const MUTE_AHEAD_MS = 3600_000;

async function client(url: string): Promise<ImClient> {
  const c = new ImClient({ baseUrl: url, backoffMs: 100, maxBackoffMs: 2000 });
  await c.register(uniqueName("mem"), "correct horse battery");
  await c.connect();
  return c;
}

/** Whether an error is a protocol answer (a 4xx other than rate limits), not a failure. */
function answered(error: unknown): error is ImError {
  return error instanceof ImError && error.status >= 400 && error.status < 500 &&
    error.code !== "rate_limited" && error.code !== "unavailable";
}

/** Membership changes under way. */
export class MembershipTraffic {
  readonly #options: Required<MembershipOptions>;
  readonly clients: ImClient[] = [];
  #owner!: ImClient;
  #admin!: ImClient;
  #pool: ImClient[] = [];
  #groupId = "";
  /** What the acknowledged changes left: member id → role and mute. */
  readonly #expected = new Map<string, Replayed>();
  /** Members a change of unknown outcome touched: left out of the comparison. */
  readonly #uncertain = new Set<string>();
  readonly #acked = { adds: 0, removals: 0, roles: 0, mutes: 0, messages: 0 };
  #unknown = 0;
  readonly #refusals: string[] = [];
  #running = false;
  #loops: Promise<void>[] = [];

  private constructor(options: MembershipOptions) {
    this.#options = { messageRate: 10, opTimeoutMs: 30_000, ...options };
  }

  /** Creates the owner, the admin and the pool (half of it in the group), all connected. */
  static async setup(options: MembershipOptions): Promise<MembershipTraffic> {
    const t = new MembershipTraffic(options);
    const { url, pool } = options;
    t.#owner = await client(url);
    t.#admin = await client(url);
    t.#pool = await Promise.all(Array.from({ length: pool }, () => client(url)));
    for (const p of t.#pool) await befriend(t.#owner, p);
    await befriend(t.#owner, t.#admin);
    const starting = t.#pool.slice(0, Math.ceil(pool / 2));
    // Added after creation, so each has a `joined` line to replay.
    const group = await t.#owner.createGroup("membership under faults");
    await t.#owner.addGroupMembers(group.id, [
      t.#admin.self!.id,
      ...starting.map((c) => c.self!.id),
    ]);
    t.#groupId = group.id;
    await t.#owner.request("PATCH", `/api/groups/${group.id}`, { history: "all" });
    await t.#owner.request("PATCH", `/api/groups/${group.id}/members/${t.#admin.self!.id}`, {
      role: "admin",
    });
    t.#expected.set(t.#owner.self!.id, { role: "owner", mutedUntil: null });
    t.#expected.set(t.#admin.self!.id, { role: "admin", mutedUntil: null });
    for (const c of starting) t.#expected.set(c.self!.id, { role: "member", mutedUntil: null });
    t.clients.push(t.#owner, t.#admin, ...t.#pool);
    return t;
  }

  /** Starts the changes (one at a time, at the configured rate) and the members' messages. */
  start(): void {
    this.#running = true;
    const pauseMs = 1000 / this.#options.rate;
    this.#loops.push((async () => {
      while (this.#running) {
        const started = Date.now();
        await this.#change();
        await sleep(Math.max(0, pauseMs - (Date.now() - started)));
      }
    })());
    const perSender = (1000 * this.#pool.length) / this.#options.messageRate;
    this.#loops.push(...this.#pool.map(async (member, i) => {
      await sleep(Math.random() * perSender);
      let n = 0;
      while (this.#running) {
        const to = { type: "group" as const, id: this.#groupId };
        // Refused while not a member or muted: part of the traffic, not a finding.
        await Promise.race([
          member.send(to, { type: "text", text: `m${i}.${n++}` }).then(
            () => void this.#acked.messages++,
            () => {},
          ),
          sleep(5000),
        ]);
        await sleep(perSender);
      }
    }));
  }

  /** One change, chosen from what the acknowledged state allows, retried until known. */
  async #change(): Promise<void> {
    const members = this.#pool.filter((c) =>
      this.#expected.has(c.self!.id) && !this.#uncertain.has(c.self!.id)
    );
    const outside = this.#pool.filter((c) =>
      !this.#expected.has(c.self!.id) && !this.#uncertain.has(c.self!.id)
    );
    const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)];
    const roll = Math.random();
    const path = `/api/groups/${this.#groupId}`;
    if (outside.length > 0 && (roll < 0.3 || members.length === 0)) {
      const who = pick(outside).self!.id;
      const done = await this.#retry(
        `add ${who}`,
        who,
        () => this.#owner.request("POST", `${path}/members`, { userIds: [who] }),
        "conflict",
      );
      if (done) {
        this.#acked.adds++;
        this.#expected.set(who, { role: "member", mutedUntil: null });
      }
      return;
    }
    if (members.length === 0) return;
    const target = pick(members).self!.id;
    const state = this.#expected.get(target)!;
    if (roll < 0.55) {
      // An admin removes plain members; the owner anyone.
      const by = state.role === "member" && Math.random() < 0.5 ? this.#admin : this.#owner;
      const done = await this.#retry(
        `remove ${target}`,
        target,
        () => by.request("DELETE", `${path}/members/${target}`),
        "not_found",
      );
      if (done) {
        this.#acked.removals++;
        this.#expected.delete(target);
      }
    } else if (roll < 0.75) {
      const role = state.role === "admin" ? "member" : "admin";
      const done = await this.#retry(
        `role ${target} ${role}`,
        target,
        () => this.#owner.request("PATCH", `${path}/members/${target}`, { role }),
      );
      if (done) {
        this.#acked.roles++;
        state.role = role;
      }
    } else {
      const mutedUntil = state.mutedUntil === null ? Date.now() + MUTE_AHEAD_MS : null;
      const by = state.role === "member" && Math.random() < 0.5 ? this.#admin : this.#owner;
      const done = await this.#retry(
        `mute ${target} ${mutedUntil}`,
        target,
        () => by.request("PATCH", `${path}/members/${target}`, { mutedUntil }),
      );
      if (done) {
        this.#acked.mutes++;
        state.mutedUntil = mutedUntil;
      }
    }
  }

  /**
   * Tries `attempt` until it is answered or the time is up. True when done: answered with
   * success, or (after an attempt whose answer was lost) with `doneCode`, which says an earlier
   * attempt was done. A refusal is a finding; a timeout makes the member uncertain.
   */
  async #retry(
    what: string,
    memberId: string,
    attempt: () => Promise<unknown>,
    doneCode?: string,
  ): Promise<boolean> {
    const deadline = Date.now() + this.#options.opTimeoutMs;
    let tries = 0;
    while (Date.now() < deadline) {
      tries++;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), Math.max(1, deadline - Date.now()));
      });
      const outcome = await Promise.race([
        attempt().then(() => ({ ok: true as const }), (error: unknown) => ({ error })),
        timeout,
      ]);
      clearTimeout(timer);
      if (outcome === "timeout") break;
      if ("ok" in outcome) return true;
      if (answered(outcome.error)) {
        if (tries > 1 && outcome.error.code === doneCode) return true;
        this.#refusals.push(`${what}: ${outcome.error.code} ${outcome.error.message}`);
        this.#uncertain.add(memberId);
        return false;
      }
      await sleep(250);
    }
    this.#unknown++;
    this.#uncertain.add(memberId);
    return false;
  }

  /** Stops the changes and the messages after those under way. */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }

  /** Progress for the log: acknowledged changes. */
  get counts(): { acknowledged: number; unknown: number } {
    const { adds, removals, roles, mutes } = this.#acked;
    return { acknowledged: adds + removals + roles + mutes, unknown: this.#unknown };
  }

  /** Waits until the history agrees with the stored membership (or the time runs out), then checks. */
  async check(settleMs = 30_000): Promise<MembershipReport> {
    const started = Date.now();
    const deadline = started + settleMs;
    let stored: GroupMember[] = [];
    let history: Message[] = [];
    while (true) {
      stored = (await retried(() => this.#owner.group(this.#groupId))).members;
      history = await retried(() => wholeHistory(this.#owner, `g:${this.#groupId}`));
      const replayed = replay(systemLines(history)).members;
      if (same(sorted(replayed), sorted(asReplayed(stored))) || Date.now() > deadline) break;
      await sleep(250);
    }
    const report: MembershipReport = {
      ...this.#acked,
      unknown: this.#unknown,
      refused: this.#refusals.length,
      gaps: 0,
      wrongLines: 0,
      lost: 0,
      replayMismatches: 0,
      viewMismatches: 0,
      settleMs: Date.now() - started,
      details: [...this.#refusals],
    };
    const problem = problemsOf(report);
    history.forEach((m, i) => {
      if (m.seq !== i + 1) problem("gaps", `position ${i + 1} holds seq ${m.seq}`);
    });
    const replayed = replay(systemLines(history));
    for (const error of replayed.errors) problem("wrongLines", error);
    const storedMap = asReplayed(stored);
    for (const id of new Set([...replayed.members.keys(), ...storedMap.keys()])) {
      if (!same(replayed.members.get(id), storedMap.get(id))) {
        problem(
          "replayMismatches",
          `${id}: the lines say ${JSON.stringify(replayed.members.get(id) ?? null)}, stored ${
            JSON.stringify(storedMap.get(id) ?? null)
          }`,
        );
      }
    }
    for (const id of new Set([...this.#expected.keys(), ...storedMap.keys()])) {
      if (this.#uncertain.has(id)) continue;
      if (!same(this.#expected.get(id), storedMap.get(id))) {
        problem(
          "lost",
          `${id}: acknowledged changes left ${
            JSON.stringify(this.#expected.get(id) ?? null)
          }, stored ${JSON.stringify(storedMap.get(id) ?? null)}`,
        );
      }
    }
    const want = strip(stored);
    for (const c of this.clients) {
      if (!storedMap.has(c.self!.id)) continue;
      const view = strip((await retried(() => c.group(this.#groupId))).members);
      if (!same(view, want)) {
        problem(
          "viewMismatches",
          `${c.self!.id} sees ${view.length} members, ${want.length} stored`,
        );
      }
    }
    return report;
  }

  /** Closes every client. */
  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function strip(list: readonly GroupMember[]) {
  return list.map((m) => ({ id: m.user.id, role: m.role, mutedUntil: m.mutedUntil }))
    .sort((a, b) => a.id.localeCompare(b.id));
}
