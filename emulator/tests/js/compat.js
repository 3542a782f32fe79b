// jsforce, unmodified, against a running emulator. Each check runs on its own and reports
// {name, ok, error}; emulator/tests/test_jsforce.py starts the emulator, runs this once and
// asserts every check. Settings come from the environment (see that test), and the emulator's
// CA certificate from NODE_EXTRA_CA_CERTS, as a user behind any private CA would set it.
"use strict";

const crypto = require("node:crypto");
const jsforce = require("jsforce");

const env = process.env;
const BASE = env.EMU_URL;
const VERSION = "62.0";
const USER = env.EMU_USERNAME;
const SECRET = env.EMU_PASSWORD + env.EMU_SECURITY_TOKEN;
const APP = { clientId: env.EMU_CLIENT_ID, clientSecret: env.EMU_CLIENT_SECRET };
const REDIRECT = env.EMU_REDIRECT_URI;

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

async function oauthPasswordConnection() {
  const conn = new jsforce.Connection({ oauth2: { loginUrl: BASE, ...APP }, version: VERSION });
  await conn.login(USER, SECRET);
  return conn;
}

function jwtAssertion() {
  const b64 = (obj) => Buffer.from(JSON.stringify(obj)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: "RS256" })}.${b64({ iss: APP.clientId, sub: USER, aud: BASE, exp: now + 180 })}`;
  const signature = crypto.sign("RSA-SHA256", Buffer.from(body), env.EMU_JWT_KEY).toString("base64url");
  return `${body}.${signature}`;
}

// The browser's part of the web-server flow: open the login page, post the form, follow the
// redirect to the callback and read the code (jsforce builds the URL and redeems the code).
async function browserLogin(authorizeUrl) {
  const page = await fetch(authorizeUrl);
  const html = await page.text();
  const action = new URL(/<form[^>]*action="([^"]*)"/.exec(html)[1].replace(/&amp;/g, "&"), authorizeUrl);
  const form = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    form.set(m[1], m[2].replace(/&amp;/g, "&").replace(/&#34;|&quot;/g, '"'));
  }
  form.set("username", USER);
  form.set("password", env.EMU_PASSWORD);
  const posted = await fetch(action, { method: "POST", body: form, redirect: "manual" });
  const location = new URL(posted.headers.get("location"));
  return location.searchParams.get("code");
}

const checks = {
  async soap_login_and_logout() {
    const conn = new jsforce.Connection({ loginUrl: BASE, version: VERSION });
    const info = await conn.login(USER, SECRET);
    assert(info.id && info.organizationId, "login answered no user or org id");
    assert(conn.instanceUrl.startsWith(BASE), `instanceUrl ${conn.instanceUrl}`);
    const token = conn.accessToken;
    await conn.query("SELECT Id FROM Account LIMIT 1");
    await conn.logout();
    const stale = new jsforce.Connection({ instanceUrl: BASE, accessToken: token, version: VERSION });
    try {
      await stale.query("SELECT Id FROM Account LIMIT 1");
    } catch (err) {
      assert(err.errorCode === "INVALID_SESSION_ID", `after logout: ${err.errorCode}`);
      return;
    }
    throw new Error("the session still worked after logout");
  },

  async oauth_password() {
    const conn = await oauthPasswordConnection();
    const identity = await conn.identity();
    assert(identity.username === USER, `identity ${identity.username}`);
  },

  async jwt_bearer() {
    const conn = new jsforce.Connection({ oauth2: { loginUrl: BASE, ...APP }, version: VERSION });
    await conn.authorize({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: jwtAssertion() });
    const res = await conn.query("SELECT Id FROM User");
    assert(res.totalSize >= 1, "no users");
  },

  async web_server_and_refresh() {
    const oauth2 = new jsforce.OAuth2({ loginUrl: BASE, redirectUri: REDIRECT, ...APP });
    const code = await browserLogin(oauth2.getAuthorizationUrl({ scope: "api refresh_token" }));
    const conn = new jsforce.Connection({ oauth2, version: VERSION });
    await conn.authorize(code);
    assert(conn.refreshToken, "no refresh token");
    let refreshed = false;
    conn.on("refresh", () => { refreshed = true; });
    conn.accessToken = "00Dexpired!session";  // the session dies; jsforce must refresh on 401
    const res = await conn.query("SELECT Id FROM Account LIMIT 1");
    assert(refreshed && res.done !== undefined, "no refresh after INVALID_SESSION_ID");
  },

  async describe() {
    const conn = await oauthPasswordConnection();
    const global = await conn.describeGlobal();
    assert(global.sobjects.some((o) => o.name === "Account"), "no Account in describeGlobal");
    const account = await conn.sobject("Account").describe();
    const ext = account.fields.find((f) => f.name === "External_Id__c");
    assert(ext && ext.externalId && ext.idLookup, "External_Id__c is no external id");
  },

  async crud() {
    const conn = await oauthPasswordConnection();
    const account = conn.sobject("Account");
    const created = await account.create({ Name: "jsforce crud" });
    assert(created.success && created.id.length === 18, "create");
    await account.update({ Id: created.id, Phone: "555-0100" });
    const got = await account.retrieve(created.id);
    assert(got.Name === "jsforce crud" && got.Phone === "555-0100", "retrieve after update");
    const gone = await account.destroy(created.id);
    assert(gone.success, "destroy");
  },

  async upsert() {
    const conn = await oauthPasswordConnection();
    const account = conn.sobject("Account");
    const first = await account.upsert({ Name: "Upserted", External_Id__c: "JS-1" }, "External_Id__c");
    assert(first.success && first.created === true, "upsert create");
    const second = await account.upsert({ Name: "Upserted again", External_Id__c: "JS-1" }, "External_Id__c");
    assert(second.success && second.created === false, "upsert update");
    const found = await conn.query("SELECT Name FROM Account WHERE External_Id__c = 'JS-1'");
    assert(found.records[0].Name === "Upserted again", "upsert result");
  },

  async collections_and_retrieve() {
    const conn = await oauthPasswordConnection();
    const account = conn.sobject("Account");
    const made = await account.create([{ Name: "Coll A" }, { Name: "Coll B" }, { Name: "Coll C" }], { allOrNone: true });
    assert(made.length === 3 && made.every((r) => r.success), "collections create");
    const ids = made.map((r) => r.id);
    const got = await account.retrieve(ids, { fields: ["Name"] });
    assert(got.map((r) => r.Name).join() === "Coll A,Coll B,Coll C", `retrieve ${JSON.stringify(got)}`);
    const updated = await account.update(ids.map((Id) => ({ Id, Phone: "555" })));
    assert(updated.every((r) => r.success), "collections update");
    const upserted = await account.upsert(
      [{ Name: "Up 1", External_Id__c: "JS-C1" }, { Name: "Up 2", External_Id__c: "JS-C2" }], "External_Id__c");
    assert(upserted.every((r) => r.success && r.created), "collections upsert");
    const deleted = await account.destroy(ids);
    assert(deleted.every((r) => r.success), "collections delete");
  },

  async bulk2_ingest_and_query_then_soql_paging() {
    const conn = await oauthPasswordConnection();
    const rows = ["Name,External_Id__c"];
    for (let i = 0; i < 2100; i++) rows.push(`Bulk ${i},JS-B${i}`);
    const results = await conn.bulk2.loadAndWaitForResults({
      object: "Account", operation: "upsert", externalIdFieldName: "External_Id__c",
      input: rows.join("\n") + "\n", pollTimeout: 60000, pollInterval: 200,
    });
    assert(results.successfulResults.length === 2100, `bulk ingest ${results.successfulResults.length}`);
    assert(results.failedResults.length === 0, "bulk ingest failures");
    const stream = await conn.bulk2.query("SELECT Id, Name FROM Account WHERE External_Id__c LIKE 'JS-B%'",
      { pollTimeout: 60000, pollInterval: 200 });
    const queried = await stream.toArray();
    assert(queried.length === 2100, `bulk query ${queried.length}`);
    // SOQL past the first 2,000 rows: jsforce follows nextRecordsUrl itself.
    const soql = await conn.query("SELECT Id FROM Account WHERE External_Id__c LIKE 'JS-B%'")
      .run({ autoFetch: true, maxFetch: 5000 });
    assert(soql.totalSize === 2100, `soql totalSize ${soql.totalSize}`);
    assert(soql.records.length === 2100, `soql paged ${soql.records.length}`);
  },

  async apex_rest() {
    const conn = await oauthPasswordConnection();
    const answer = await conn.apex.post("/acme/events", { event: "signed-up", id: 7 });
    assert(answer !== undefined, "no answer from Apex REST");
  },

  async limits() {
    const conn = await oauthPasswordConnection();
    const limits = await conn.limits();
    assert(limits.DailyApiRequests.Max > 0, "DailyApiRequests");
    assert(limits.DailyBulkV2QueryJobs.Max === 10000, "DailyBulkV2QueryJobs");
  },

  async error_bodies() {
    const conn = await oauthPasswordConnection();
    try {
      await conn.sobject("Contact").create({ FirstName: "No last name" });
      throw new Error("a Contact without LastName was created");
    } catch (err) {
      assert(err.errorCode === "REQUIRED_FIELD_MISSING", `create: ${err.errorCode} ${err.message}`);
      assert(JSON.stringify(err.fields || err.data) .includes("LastName"), `fields: ${JSON.stringify(err.data)}`);
    }
    try {
      await conn.query("SELEC Id FROM Account");
      throw new Error("a malformed query ran");
    } catch (err) {
      assert(err.errorCode === "MALFORMED_QUERY", `query: ${err.errorCode}`);
    }
    try {
      await conn.sobject("Account").retrieve("001000000000000AAA");
      throw new Error("an unknown id was found");
    } catch (err) {
      assert(err.errorCode === "NOT_FOUND", `retrieve: ${err.errorCode}`);
    }
  },
};

(async () => {
  const only = process.argv.slice(2);
  const results = [];
  for (const [name, check] of Object.entries(checks)) {
    if (only.length && !only.includes(name)) continue;
    try {
      await check();
      results.push({ name, ok: true });
    } catch (err) {
      results.push({ name, ok: false, error: `${err.name}: ${err.errorCode || ""} ${err.message}` });
    }
  }
  process.stdout.write(JSON.stringify(results) + "\n");
})();
