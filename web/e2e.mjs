// Loads the demo page in headless Chromium, waits for window.omnimoeResult, saves a screenshot, and fails
// unless the GPU result matched the CPU reference. Usage: node e2e.mjs URL SCREENSHOT.png
import { chromium } from "playwright-core";

const [url, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox", "--enable-unsafe-webgpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
  ],
});
let code = 1;
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.on("console", (m) => console.log("page:", m.text()));
  page.on("pageerror", (e) => console.log("page error:", e.message));
  await page.goto(url);
  await page.waitForFunction(() => window.omnimoeResult !== undefined, null, { timeout: 300000 });
  const result = await page.evaluate(() => window.omnimoeResult);
  await page.screenshot({ path: shot, fullPage: true });
  console.log("omnimoeResult:", JSON.stringify(result));
  console.log("screenshot:", shot);
  code = result.ok === true ? 0 : 1;
} catch (e) {
  console.log("e2e failed:", e.message);
} finally {
  await browser.close();
}
process.exit(code);
