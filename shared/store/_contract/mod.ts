/** The store's contract suites, one per port; `testStore()` runs all seven on one engine. */
import { testAccountStore } from "./accounts.ts";
import { testAdminStore } from "./admin.ts";
import { testBlockStore } from "./blocks.ts";
import { testConversationSettings } from "./conversation_settings.ts";
import type { OpenStore } from "./fixtures.ts";
import { testFriendStore } from "./friends.ts";
import { testGroupStore } from "./groups.ts";
import { testMediaStore } from "./media.ts";
import { testMessageStore } from "./messages.ts";
import { type SearchSuiteOptions, testMessageSearch } from "./search.ts";

export type { OpenStore, SuiteOptions } from "./fixtures.ts";
export { inTempDir, type ReopenableStore, type SearchSuiteOptions } from "./search.ts";
export {
  testAccountStore,
  testAdminStore,
  testBlockStore,
  testConversationSettings,
  testFriendStore,
  testGroupStore,
  testMediaStore,
  testMessageSearch,
  testMessageStore,
};

/**
 * Runs every port's contract against stores made by `open`, naming each
 * `<Port> on <engine>`; `options.reopenable` adds the search backlog's test.
 */
export function testStore(engine: string, open: OpenStore, options: SearchSuiteOptions = {}): void {
  testAccountStore(`AccountStore on ${engine}`, open, options);
  testAdminStore(`AdminStore on ${engine}`, open, options);
  testBlockStore(`BlockStore on ${engine}`, open, options);
  testFriendStore(`FriendStore on ${engine}`, open, options);
  testGroupStore(`GroupStore on ${engine}`, open, options);
  testMediaStore(`MediaStore on ${engine}`, open, options);
  testMessageStore(`MessageStore on ${engine}`, open, options);
  testMessageSearch(`MessageStore search on ${engine}`, open, options);
  testConversationSettings(`MessageStore conversation settings on ${engine}`, open, options);
}
