// The Simulacra quickstart in TypeScript with Node's built-in fetch (Node >= 22.18 runs .ts directly).
//   SIMULACRA_CLAIM_TOKEN=sct_... node examples/quickstart.ts
import { readFileSync, writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";

const BASE = (process.env.SIMULACRA_URL ?? "http://127.0.0.1:8000").replace(/\/$/, "");
const CSV = process.env.QUICKSTART_CSV ?? new URL("./tracker_q3.csv", import.meta.url).pathname;
const OUT = process.env.QUICKSTART_OUT ?? "generated.csv";

interface Job { job_id: string; status: string; stage: string; artifact_url?: string | null; error?: unknown }

async function check(response: Response): Promise<Response> {
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new Error(`${response.url} -> ${response.status} ${problem.code ?? ""}: ${problem.detail ?? ""}`);
  }
  return response;
}

async function post(path: string, body: BodyInit, headers: Record<string, string>): Promise<any> {
  const response = await fetch(`${BASE}${path}`, {
    method: "POST", body, headers: { "Idempotency-Key": randomUUID(), ...headers },
  });
  return (await check(response)).json();
}

async function waitFor(jobId: string, auth: Record<string, string>): Promise<Job> {
  for (;;) {
    const job: Job = await (await check(await fetch(`${BASE}/v1/jobs/${jobId}`, { headers: auth }))).json();
    if (["ready", "partial", "failed"].includes(job.status)) return job;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

const claimed = await post("/v1/credential-claims",
  JSON.stringify({ credential_claim_token: process.env.SIMULACRA_CLAIM_TOKEN }),
  { "Content-Type": "application/json" });
const minted = await (await check(await fetch(claimed.token_url, {
  method: "POST",
  body: new URLSearchParams({
    grant_type: "client_credentials", client_id: claimed.client_id,
    client_secret: claimed.client_secret, audience: claimed.audience,
  }),
}))).json();
const auth = { Authorization: `Bearer ${minted.access_token}` };

const form = new FormData();
form.append("file", new Blob([readFileSync(CSV)], { type: "text/csv" }), "tracker_q3.csv");
const upload = await post("/v1/datasets", form, auth);
const dataset = await waitFor(upload.job_id, auth);
if (dataset.status !== "ready") throw new Error(`dataset failed: ${JSON.stringify(dataset.error)}`);

const generation = await post(`/v1/datasets/${upload.dataset_id}/generations`, JSON.stringify({
  row_count: 2000,
  conditions: { categorical: { segment: { genz_switcher: 0.3 } }, numeric: { price: { min: 5.49, max: 5.49 } } },
}), { ...auth, "Content-Type": "application/json" });
const job = await waitFor(generation.job_id, auth);
const rows = await (await check(await fetch(job.artifact_url!, { headers: auth }))).text();
writeFileSync(OUT, rows);
console.log(`downloaded ${rows.trim().split("\n").length - 1} rows to ${OUT}`);
