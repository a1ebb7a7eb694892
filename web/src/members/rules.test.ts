import { describe, expect, it } from "vitest";
import { isLastOwner, ownerCount, searchQuery, sortMembers } from "./rules";

const alice = { user: "alice", role: "owner" };
const bob = { user: "bob", role: "maintainer" };
const carol = { user: "carol", role: "owner" };

describe("the last-owner rule", () => {
  it("holds for the only owner and no one else", () => {
    expect(isLastOwner(alice, [alice, bob])).toBe(true);
    expect(isLastOwner(bob, [alice, bob])).toBe(false);
  });

  it("lifts once there is a second owner", () => {
    expect(ownerCount([alice, bob, carol])).toBe(2);
    expect(isLastOwner(alice, [alice, bob, carol])).toBe(false);
  });
});

describe("sortMembers", () => {
  it("sorts by role, owners first, then by name", () => {
    const member = { user: "aaron", role: "member" };
    expect(sortMembers([member, bob, carol, alice]).map((m) => m.user)).toEqual(["alice", "carol", "bob", "aaron"]);
  });
});

describe("searchQuery", () => {
  it("asks only with what the API accepts", () => {
    expect(searchQuery(" Al ")).toBe("al");
    expect(searchQuery("")).toBeNull();
    expect(searchQuery("a b")).toBeNull();
    expect(searchQuery("x".repeat(40))).toBeNull();
  });
});
