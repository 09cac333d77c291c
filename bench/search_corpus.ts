/**
 * The search scenario's data, made from a fixed seed so every run searches the same texts: users,
 * 10,000 conversations (private pairs and groups, a few users in very many of them, a few groups of
 * hundreds) and messages of Chinese, English and mixed text whose lengths are skewed as chat is
 * (most a few words, a tail of a few hundred characters). Words are drawn by a Zipf law from
 * vocabularies ordered by how common they are, so a query for a common word matches a large part
 * of the store and one for a tail word a few messages; `QUERIES` names each query's class.
 */

/** A deterministic generator of numbers in [0, 1) (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws indexes 0…n−1 with weights 1/(i+1)^s: index 0 the most often. */
export function zipf(n: number, s: number, rand: () => number): () => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) cumulative[i] = total += 1 / Math.pow(i + 1, s);
  return () => {
    const x = rand() * total;
    let [lo, hi] = [0, n - 1];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** A normally distributed number (Box–Muller). */
function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

// Chinese words, commonest first: particles and pronouns, then everyday words, then rarer ones.
const ZH_WORDS = (
  "的 了 我 你 是 在 不 他 这 有 就 也 都 吗 吧 呢 啊 要 去 说 好 我们 没有 今天 什么 知道 可以 " +
  "现在 一下 时间 问题 工作 你们 他们 明天 因为 所以 但是 如果 已经 还是 一起 觉得 应该 需要 " +
  "这个 那个 怎么 一个 大家 朋友 公司 东西 事情 时候 晚上 早上 中午 下午 吃饭 回家 开会 希望 " +
  "喜欢 电话 手机 电脑 邮件 地方 老师 学生 学校 孩子 妈妈 爸爸 周末 天气 下雨 出发 谢谢 " +
  "为什么 怎么样 没问题 不知道 差不多 一会儿 有意思 不好意思 没关系 辛苦了 马上 然后 其实 " +
  "当然 可能 一定 真的 非常 比较 特别 刚才 以后 以前 最近 看看 等等 一点 会议 项目 客户 文件 " +
  "方案 报告 数据 系统 版本 测试 上线 需求 进度 安排 确认 通知 发布 同事 领导 老板 部门 " +
  "办公室 会议室 下个月 星期五 星期一 北京 上海 深圳 广州 杭州 成都 机场 火车 飞机 酒店 " +
  "地铁 打车 价格 便宜 方便 麻烦 好消息 坏消息 注意安全 一路平安 马上就到 生日快乐 新年快乐 " +
  "医院 感冒 发烧 休息 睡觉 起床 咖啡 奶茶 火锅 饺子 面条 米饭 水果 超市 快递 外卖 电影 " +
  "音乐 游戏 篮球 足球 跑步 旅游 照片 视频 链接 密码 账号 网络 信号 电池 充电 下载 更新 " +
  "银行 工资 发票 报销 合同 签字 盖章 预算 成本 利润 市场 销售 产品 设计 开发 运维 服务器 " +
  "数据库 接口 文档 截图 演示 培训 面试 招聘 入职 离职 请假 加班 出差 签证 护照 行李 " +
  "熊猫 长城 故宫 西湖 黄山 桂林 长江 黄河 春节 中秋 端午 元宵 月饼 粽子 汤圆 红包"
).split(" ");

// English words, commonest first.
const EN_WORDS = (
  "the I you to a and is it of in that we for on this be have are not with do at can " +
  "will so but what just my your was all if me they about get there like know now today " +
  "good up out one time yes no ok thanks please see think going here how when then need " +
  "want tomorrow meeting call let work back send check new yesterday morning night week " +
  "later sure great sorry right email team update file project plan issue fix release " +
  "deadline client report review build test server deploy branch merge version doc link " +
  "coffee lunch dinner home office weekend friday monday train flight hotel airport " +
  "because really already again maybe still should could would something everyone " +
  "schedule budget contract invoice payment design customer feedback question answer " +
  "problem support account password network battery download picture video music movie " +
  "birthday holiday vacation weather raining sunny doctor hospital school teacher student " +
  "football basketball running travel camera garden kitchen library museum mountain river " +
  "penguin volcano kangaroo orchestra lighthouse telescope saxophone glacier cathedral"
).split(" ");

// Words a mixed sentence drops into Chinese text, as chat does.
const MIXED_WORDS =
  "OK PPT deadline meeting email Excel Word bug demo iPhone App WiFi KPI CEO HR offer review release V2"
    .split(" ");

const ZH_END = ["。", "！", "？", "～", "", ""];
const ZH_BREAK = ["，", "，", "、", " "];
const EN_END = [".", "!", "?", "", "..."];

/** One message's text, drawn from `rand`. */
export function textMaker(rand: () => number): () => string {
  const zh = zipf(ZH_WORDS.length, 1.05, rand);
  const en = zipf(EN_WORDS.length, 1.05, rand);
  const mixed = zipf(MIXED_WORDS.length, 1, rand);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)];
  /** Characters wanted: log-normal, a median of `median`, between 2 and 600. */
  const length = (median: number, sigma: number) =>
    Math.min(600, Math.max(2, Math.round(median * Math.exp(sigma * gaussian(rand)))));

  function chinese(want: number, mix: boolean): string {
    let text = "";
    let clause = 0;
    while (text.length < want) {
      text += mix && rand() < 0.12
        ? (rand() < 0.3 ? String(1 + Math.floor(rand() * 30)) : MIXED_WORDS[mixed()])
        : ZH_WORDS[zh()];
      if (++clause >= 4 && rand() < 0.3 && text.length < want) {
        text += pick(ZH_BREAK);
        clause = 0;
      }
    }
    return text + pick(ZH_END);
  }

  function english(want: number): string {
    const words: string[] = [];
    let size = 0;
    let sentenceStart = true;
    while (size < want) {
      let word = EN_WORDS[en()];
      if (sentenceStart) word = word[0].toUpperCase() + word.slice(1);
      sentenceStart = false;
      if (rand() < 0.08 && size + word.length < want) {
        word += rand() < 0.5 ? "," : pick(EN_END.slice(0, 3));
        sentenceStart = !word.endsWith(",");
      }
      words.push(word);
      size += word.length + 1;
    }
    return words.join(" ") + pick(EN_END);
  }

  return () => {
    const kind = rand();
    if (kind < 0.55) return chinese(length(14, 0.9), false);
    if (kind < 0.85) return english(length(32, 0.85));
    return chinese(length(20, 0.9), true);
  };
}

/** A query of the search scenario and what kind of query it is. */
export interface Query {
  text: string;
  kind: string;
}

/** The query mix: common and rare words of both languages, substrings, and misses. */
export const QUERIES: readonly Query[] = [
  ...["我们", "今天", "没有", "时间", "问题"].map((text) => ({ text, kind: "zh 2 chars, common" })),
  ...["熊猫", "月饼", "签证", "护照", "汤圆"].map((text) => ({ text, kind: "zh 2 chars, rare" })),
  ...["为什么", "没问题", "会议室", "不好意思", "生日快乐", "服务器"].map((text) => ({
    text,
    kind: "zh 3–4 chars",
  })),
  ...["meeting", "tomorrow", "project", "coffee", "Weekend"].map((text) => ({
    text,
    kind: "en word",
  })),
  ...["eet", "orro", "ause", "ill b"].map((text) => ({ text, kind: "en substring" })),
  ...["penguin", "saxophone", "glacier", "lighthouse"].map((text) => ({
    text,
    kind: "en word, rare",
  })),
  ...["鳄鱼", "量子纠缠", "xylophone", "zqx"].map((text) => ({ text, kind: "miss" })),
];

/** A conversation of the scenario: a pair of users, or a group's members. */
export interface CorpusConversation {
  /** Indexes into the users, the first one the group's owner. */
  members: number[];
  group: boolean;
}

/**
 * Who talks with whom: `conversations` conversations among `users` users, 70 % private pairs and
 * 30 % groups (most of 3–10 members, a few of several hundred). Half of each conversation's members
 * are drawn by a Zipf law, so the first users take part in many hundreds of conversations.
 */
export function conversationsOf(
  users: number,
  conversations: number,
  seed: number,
): CorpusConversation[] {
  const rand = random(seed ^ 0x5eed);
  const popular = zipf(users, 1, rand);
  const anyone = () => rand() < 0.35 ? popular() : Math.floor(rand() * users);
  const out: CorpusConversation[] = [];
  const pairs = new Set<string>();
  while (out.length < conversations) {
    if (rand() < 0.7) {
      const [a, b] = [anyone(), anyone()];
      const key = a < b ? `${a}:${b}` : `${b}:${a}`;
      if (a === b || pairs.has(key)) continue;
      pairs.add(key);
      out.push({ members: [a, b], group: false });
    } else {
      const r = rand();
      const size = r < 0.6
        ? 3 + Math.floor(rand() * 8)
        : r < 0.9
        ? 11 + Math.floor(rand() * 40)
        : r < 0.99
        ? 51 + Math.floor(rand() * 150)
        : 200 + Math.floor(rand() * Math.min(800, users - 200));
      const members = new Set<number>();
      while (members.size < Math.min(size, users)) members.add(anyone());
      out.push({ members: [...members], group: true });
    }
  }
  return out;
}

/**
 * The conversations' indexes from the busiest to the quietest: a shuffle, so that the busiest are
 * not the first created.
 */
export function busiestFirst(conversations: number, seed: number): number[] {
  const rand = random(seed ^ 0xb054);
  const order = Array.from({ length: conversations }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * The messages' conversations and senders, in order: conversations drawn by a Zipf law (a few busy
 * ones, a long quiet tail), the sender a member drawn by a Zipf law within it.
 */
export function* messagePlan(
  conversations: readonly CorpusConversation[],
  messages: number,
  seed: number,
): Generator<{ conversation: number; sender: number; text: string }> {
  const rand = random(seed);
  const text = textMaker(random(seed ^ 0x7e47));
  const busy = zipf(conversations.length, 0.9, rand);
  const order = busiestFirst(conversations.length, seed);
  const talkers = new Map<number, () => number>();
  for (let i = 0; i < messages; i++) {
    const conversation = order[busy()];
    const { members } = conversations[conversation];
    let talker = talkers.get(members.length);
    if (!talker) talkers.set(members.length, talker = zipf(members.length, 1, rand));
    yield { conversation, sender: members[talker()], text: text() };
  }
}
