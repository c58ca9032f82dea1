/** The Host/Origin rules of the HTTP endpoint, on their own. */
import { describe, expect, it } from "vitest";
import { allowedHosts, isLocalOrigin, rebindingRefusal } from "../src/index.js";

const at = { host: "127.0.0.1", port: 7420 };
const headers = (h: Record<string, string>) => new Headers(h);

describe("DNS-rebinding guard", () => {
  it("allows the listen address, localhost and 127.0.0.1 on the bound port", () => {
    expect(allowedHosts(at)).toEqual(["127.0.0.1:7420", "localhost:7420"]);
    expect(allowedHosts({ host: "::1", port: 80 })).toEqual(["[::1]:80", "localhost:80", "127.0.0.1:80"]);
    expect(allowedHosts({ host: "0.0.0.0", port: 1 })).toEqual(["0.0.0.0:1", "localhost:1", "127.0.0.1:1"]);
    for (const host of ["127.0.0.1:7420", "localhost:7420", "LOCALHOST:7420"])
      expect(rebindingRefusal(headers({ host }), at)).toBeUndefined();
  });

  it("refuses a missing or foreign Host, and the right name on another port", () => {
    for (const h of <Record<string, string>[]>[
      {},
      { host: "evil.example.com" },
      { host: "evil.example.com:7420" },
      { host: "127.0.0.1:7421" },
      { host: "localhost" },
      { host: "192.168.1.5:7420" },
    ]) {
      expect(rebindingRefusal(headers(h), at), JSON.stringify(h)).toMatch(/^Host /);
    }
  });

  it("accepts the exact extra hosts it is given (a published port, a service name), and nothing near them", () => {
    const bound = { host: "0.0.0.0", port: 7420 };
    const extra = ["localhost:7421", "registry-2:7420"];
    for (const host of ["localhost:7421", "REGISTRY-2:7420", "0.0.0.0:7420", "localhost:7420"])
      expect(rebindingRefusal(headers({ host }), bound, extra), host).toBeUndefined();
    for (const host of ["localhost:7422", "evil.example.com:7421", "registry-2:7421", "registry-2", "192.168.1.5:7420"])
      expect(rebindingRefusal(headers({ host }), bound, extra), host).toMatch(/^Host /);
    expect(
      rebindingRefusal(headers({ host: "localhost:7421", origin: "http://evil.example.com" }), bound, extra),
    ).toMatch(/^Origin /);
  });

  it("accepts no Origin or a local page's, and refuses any other", () => {
    for (const origin of [
      "http://localhost",
      "https://localhost:6274",
      "http://127.0.0.1:7420",
      "HTTP://LOCALHOST:3000",
    ])
      expect(isLocalOrigin(origin), origin).toBe(true);
    for (const origin of [
      "http://evil.example.com",
      "http://localhost.evil.example.com",
      "http://127.0.0.1.nip.io",
      "null",
      "file://",
      "http://[::1]:3000",
      "ws://localhost",
    ]) {
      expect(isLocalOrigin(origin), origin).toBe(false);
      expect(rebindingRefusal(headers({ host: "127.0.0.1:7420", origin }), at)).toMatch(/^Origin /);
    }
  });
});
