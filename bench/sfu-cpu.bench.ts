/**
 * sfu-cpu: the dev media server's CPU seconds per forwarded stream-minute with 1, 5 and 10 concurrent
 * two-person calls.
 *
 * Each call has two werift participants (this process, the load generator) that each publish audio +
 * video (a recorded VP8 640x480@30 ~600 kbit/s + Opus 32 kbit/s RTP stream replayed in real time, one
 * replayer per publisher, ticks staggered so publishers do not send in lock-step) and subscribe to the
 * other, through the server's own REST + JSON-RPC API, on loopback only. The server runs alone in a
 * child process and reports `process.cpuUsage()` over IPC, so its figure excludes the load generator.
 *
 * One "stream" is one publisher's audio + video forwarded to one subscriber (a call is 2 streams). A
 * "forwarded stream-minute" is the number of packets one stream carries in a minute, counted from the
 * router's `forwardedPackets`, so the figure is per unit of work actually done even when packets are lost.
 * Calls go 1 → 5 → 10 → 1 on the same server; each step warms up, then measures a fixed window.
 *
 * Rows and baselines (all from this run):
 * - `sfu-cpu/1-call` (both 1-call windows pooled): server CPU per stream-minute vs the load
 *   generator's CPU per stream-minute. The load generator does an endpoint's work for each stream
 *   (SRTP-protect on the publishing side, unprotect on the subscribing side); the server does the same
 *   two operations per forwarded packet plus the routing.
 * - `sfu-cpu/5-calls`, `sfu-cpu/10-calls`: server CPU per stream-minute vs the 1-call figure (measured
 *   before and after, which cancels slow drift). Ratio = scaling factor: 1.0 is linear.
 *
 * Sanity: the router must forward at ≥ 50 % of the publish rate and subscribers receive ≥ 50 %, else the
 * benchmark fails; below 95 % the row's notes carry a warning (the machine starved the processes).
 */
import { check, commandFor, log, report, round, sleep, waitUntil } from './lib/report.js';
import { delivery, recordStream, SfuLoad } from './lib/sfu-load.js';
import type { LoadWindow } from './lib/sfu-load.js';

const ID = 'sfu-cpu';
/** Concurrent calls per measured window, in measurement order (BENCH_SFU_STEPS="1,5,10"). */
const CALL_STEPS = (process.env['BENCH_SFU_STEPS'] ?? '1,5,10,1').split(',').map(Number);
/** Warm-up before each window; the first one is longer (JIT of the server's forwarding path). */
const WARMUP_MS = 5_000;
const FIRST_WARMUP_MS = 15_000;
const WINDOW_MS = 15_000;
/** Server with its router loaded and no call: its own background cost. */
const IDLE_MS = 5_000;
/** Hard ceiling for the whole benchmark. */
const DEADLINE_MS = 240_000;

type Window = LoadWindow;

function streamMinutes(packets: number, packetsPerSecond: number): number {
  return packets / (packetsPerSecond * 60);
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    log(`${ID}: exceeded ${DEADLINE_MS / 1000} s, aborting`);
    process.exit(1);
  }, DEADLINE_MS);
  deadline.unref();

  const recording = await recordStream(ID);
  log(
    `${ID}: ${recording.tracks.video.packets.length} video + ${recording.tracks.audio.packets.length} audio packets; one stream = ${recording.packetsPerSecond.toFixed(0)} packets/s, ${recording.kbps.toFixed(0)} kbit/s`,
  );
  const load = await SfuLoad.start(recording);
  const windows: Window[] = [];
  let idleCorePct: number;

  try {
    idleCorePct = (await load.idle(IDLE_MS)).corePct;
    log(`${ID}: idle server (router loaded, no call): ${idleCorePct.toFixed(1)} % of a core`);

    for (const [step, target] of CALL_STEPS.entries()) {
      const warmupMs = step === 0 ? FIRST_WARMUP_MS : WARMUP_MS;
      const setupStarted = performance.now();
      while (load.calls.length < target) await load.addCall();
      while (load.calls.length > target) await load.removeCall();
      await waitUntil('media at every subscriber', () => load.mediaFlows(), 15_000);
      log(
        `${ID}: ${target} call(s) up in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s; warming up ${warmupMs / 1000} s, measuring ${WINDOW_MS / 1000} s`,
      );
      await sleep(warmupMs);

      const w = await load.measure(WINDOW_MS);
      windows.push(w);
      log(
        `${ID}: ${target} call(s): server ${w.serverCpuS.toFixed(2)} CPU-s (${((100 * w.serverCpuS) / w.wallS).toFixed(0)} % of a core), load generator ${w.loadCpuS.toFixed(2)} CPU-s, forwarded ${w.forwarded} in ${w.wallS.toFixed(1)} s, published ${w.sent} and received ${w.received} in ${w.loadWallS.toFixed(1)} s; event-loop delay p99 server ${w.serverLoopP99Ms.toFixed(0)} ms (max ${w.serverLoopMaxMs.toFixed(0)}), load generator ${w.loadLoopP99Ms.toFixed(0)} ms`,
      );
      check(w.publishers === 2 * target, `${w.publishers} publishers at the server`);
      check(w.forwarded > 0, `${target} call(s): the router forwarded no packets`);
      // Below 95 % the row carries a warning (kernel UDP receive-buffer drops when the shared machine
      // starves these processes); below 50 % the load is too far from nominal to mean anything.
      check(
        delivery(w).forwarded >= 0.5,
        `${target} call(s): forwarding rate ${(100 * delivery(w).forwarded).toFixed(1)} % of the publish rate`,
      );
      check(
        delivery(w).received >= 0.5,
        `${target} call(s): receive rate ${(100 * delivery(w).received).toFixed(1)} % of the publish rate`,
      );
    }
  } finally {
    await load.close();
  }

  const pps = recording.packetsPerSecond;
  // Windows with the same number of calls (1 call, measured first and last) are pooled: CPU and
  // packets summed, so the 1-call baseline brackets the others and slow drift cancels out.
  const pooled = new Map<number, Window[]>();
  for (const w of windows) pooled.set(w.calls, [...(pooled.get(w.calls) ?? []), w]);
  const sum = (ws: Window[], pick: (w: Window) => number): number =>
    ws.reduce((n, w) => n + pick(w), 0);
  // Server: CPU ÷ stream-minutes it actually forwarded. Load generator: CPU ÷ stream-minutes it
  // published and received (each stream is published once and received once).
  const serverFigure = (ws: Window[]): number =>
    sum(ws, (w) => w.serverCpuS) /
    streamMinutes(
      sum(ws, (w) => w.forwarded),
      pps,
    );
  const loadFigure = (ws: Window[]): number =>
    sum(ws, (w) => w.loadCpuS) /
    streamMinutes(
      sum(ws, (w) => (w.sent + w.received) / 2),
      pps,
    );
  const ones = pooled.get(1);
  check(ones !== undefined, 'no 1-call window to compare with');
  const onePerStream = serverFigure(ones);
  const streamDesc = `one stream = 640x480@30 VP8 + Opus, ${pps.toFixed(0)} packets/s, ${recording.kbps.toFixed(0)} kbit/s`;
  const describe = (w: Window): string => {
    const forwardedPct = 100 * delivery(w).forwarded;
    const warning =
      forwardedPct < 95
        ? `WARNING: forwarding rate only ${forwardedPct.toFixed(1)} % of the publish rate (UDP receive-buffer drops while the machine starved these processes; see the event-loop delay): the figure is per forwarded packet, but the load was below nominal. `
        : '';
    return `${warning}${serverFigure([w]).toPrecision(3)} CPU-s/stream-min: server ${w.serverCpuS.toFixed(2)} CPU-s in ${w.wallS.toFixed(1)} s (${((100 * w.serverCpuS) / w.wallS).toFixed(0)} % of one core, RSS ${w.serverRssMb.toFixed(0)} MB), forwarded ${w.forwarded} packets = ${forwardedPct.toFixed(1)} % of the publish rate, subscribers received ${(100 * delivery(w).received).toFixed(1)} %, event-loop delay p99 server ${w.serverLoopP99Ms.toFixed(0)} ms / load generator ${w.loadLoopP99Ms.toFixed(0)} ms`;
  };
  for (const [calls, ws] of [...pooled].sort((a, b) => a[0] - b[0])) {
    const figure = serverFigure(ws);
    const windowNotes = ws
      .map((w) => `window ${windows.indexOf(w) + 1} of ${windows.length}: ${describe(w)}`)
      .join('; ');
    const notes = `${2 * calls} streams; ${ws.length} window(s) of ${WINDOW_MS / 1000} s (warm-up ${FIRST_WARMUP_MS / 1000} s before the first, ${WARMUP_MS / 1000} s before the others; order ${CALL_STEPS.join(' → ')} calls): ${windowNotes}; load generator ${round(loadFigure(ws))} CPU-s/stream-min; idle server ${idleCorePct.toFixed(1)} % of a core; ${streamDesc}`;
    if (calls === 1) {
      const loadPerStream = loadFigure(ws);
      report({
        id: `${ID}/1-call`,
        title: 'Dev server CPU per forwarded stream-minute, 1 two-person call',
        figure: round(figure),
        unit: 'CPU-s/stream-min',
        baseline: round(loadPerStream),
        baselineUnit: 'CPU-s/stream-min',
        baselineLabel: 'werift load generator (publish + subscribe) for the same streams',
        ratio: round(figure / loadPerStream),
        lowerIsBetter: true,
        command: commandFor(ID),
        notes,
        reading:
          'server CPU per forwarded stream ÷ the CPU the werift load generator spends publishing and subscribing the same streams. Both do one SRTP protect and one unprotect per packet, so ≈ 1 means forwarding costs about what two endpoints cost; well above 1 means the router adds work beyond the crypto.',
      });
    } else {
      report({
        id: `${ID}/${calls}-calls`,
        title: `Dev server CPU per forwarded stream-minute, ${calls} calls (scaling vs 1 call)`,
        figure: round(figure),
        unit: 'CPU-s/stream-min',
        baseline: round(onePerStream),
        baselineUnit: 'CPU-s/stream-min',
        baselineLabel: 'same figure at 1 call (windows before and after, pooled)',
        ratio: round(figure / onePerStream),
        lowerIsBetter: true,
        command: commandFor(ID),
        notes,
        reading:
          'scaling factor: per-stream server CPU at this load ÷ the same at 1 call. 1 = linear; < 1 = per-stream cost falls with load (per-wake-up and per-timer overheads shared by more packets); > 1 = per-stream cost grows with load (contention, GC, event-loop saturation). Check the delivery % and event-loop delay in the notes.',
      });
    }
  }
  clearTimeout(deadline);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`${ID}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
