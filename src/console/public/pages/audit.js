// 审计: the fund verification (its hash chain and its balances recomputed from the lines), for anyone
// who may draw reports; and, for keys with the audit permission, the audit log of every write — who,
// when, what, on which ids, and whether it succeeded — newest first.
//
// A verification answers the chain's length and head hash: an auditor who notes them down can pass them
// back later (位置 + 链头哈希) to check the chain still passes through that point, i.e. that nothing
// recorded before it was rewritten.
import { api } from '../api.js';
import {
  clear, dateInput, field, fieldError, figures, h, label, localTime, pager, plainMessage, section, select, showError, table,
} from '../ui.js';

// The writes the API knows, in the officers' words (the audit log's route patterns).
const ROUTES = {
  'POST /v1/funds': '创建基金',
  'PATCH /v1/funds/:fundId': '修改基金',
  'POST /v1/funds/:fundId/accounts': '开设科目',
  'POST /v1/funds/:fundId/income': '登记收入（捐赠/财政转移）',
  'POST /v1/funds/:fundId/periods/:period/close': '月末结账',
  'POST /v1/funds/:fundId/periods/:period/reopen': '反结账',
  'POST /v1/transactions': '录入凭证',
  'POST /v1/transactions/:transactionId/reversal': '冲销凭证',
  'POST /v1/vouchers': '填制凭证（待审核）',
  'POST /v1/vouchers/reversals': '起草红字冲销（待审核）',
  'PUT /v1/vouchers/:voucherId': '修改凭证',
  'POST /v1/vouchers/:voucherId/withdrawal': '撤回凭证',
  'POST /v1/vouchers/:voucherId/approve': '审核凭证并记账',
  'POST /v1/vouchers/:voucherId/reject': '退回凭证',
  'POST /v1/transactions/:transactionId/attachments': '上传原始凭证',
  'POST /v1/vouchers/:voucherId/attachments': '上传原始凭证',
  'POST /v1/disbursements/:disbursementId/attachments': '上传原始凭证',
  'POST /v1/disbursement-batches/:batchId/attachments': '上传原始凭证',
  'POST /v1/dividends/:dividendId/attachments': '上传原始凭证',
  'POST /v1/insurance-claims/:claimId/attachments': '上传原始凭证',
  'POST /v1/attachments/:attachmentId/withdrawal': '撤回原始凭证',
  'POST /v1/villages': '登记村',
  'PATCH /v1/villages/:villageId': '修改村',
  'POST /v1/households': '登记农户',
  'POST /v1/households/import': '导入农户',
  'POST /v1/households/:householdId/monitoring': '纳入监测',
  'POST /v1/households/:householdId/monitoring/eliminate': '风险消除（销号）',
  'POST /v1/industries': '登记产业项目',
  'POST /v1/industries/:industryId/rules': '新增分配规则',
  'POST /v1/industries/:industryId/dividends': '登记分红',
  'POST /v1/industries/:industryId/dividends/:dividendId/void': '作废分红',
  'POST /v1/disbursements': '申请支付',
  'POST /v1/disbursements/:disbursementId/approve': '审批支付',
  'POST /v1/disbursements/:disbursementId/pay': '登记支付',
  'POST /v1/disbursements/:disbursementId/fail': '支付失败/退回',
  'POST /v1/disbursement-batches': '申请批量支付',
  'POST /v1/disbursement-batches/:batchId/approve': '审批批量支付',
  'POST /v1/disbursement-batches/:batchId/pay': '登记批量支付',
  'POST /v1/insurance-policies': '登记防贫保保单',
  'POST /v1/insurance-policies/:policyId/premium': '缴纳保费',
  'POST /v1/insurance-policies/:policyId/refund': '登记保费退还',
  'POST /v1/insurance-policies/:policyId/carry-forward': '保费余额结转',
  'POST /v1/insurance-claims': '防贫保报案',
  'POST /v1/insurance-claims/:claimId/approve': '核定理赔',
  'POST /v1/insurance-claims/:claimId/pay': '登记理赔赔付',
  'POST /v1/insurance-claims/:claimId/reject': '拒赔',
  'POST /v1/statements/verify': '核验报表摘要',
  'POST /v1/api-keys': '发放密钥',
  'DELETE /v1/api-keys/:keyId': '吊销密钥',
};
// What each id of a write's targets is, in Chinese (the API names them fundId, poolAccountId, …).
const ID_NAMES = {
  id: '记录', fundId: '基金', accountId: '科目', transactionId: '凭证', villageId: '村', householdId: '农户', industryId: '产业项目',
  disbursementId: '支付', batchId: '批次', policyId: '保单', claimId: '理赔', keyId: '密钥', dividendId: '分红',
  ruleId: '分配规则', poolAccountId: '保费资金池', approvalTransactionId: '审批预留凭证', paymentTransactionId: '支付凭证',
  failureTransactionId: '失败冲回凭证', reversesTransactionId: '被冲销凭证', reversedByTransactionId: '冲销凭证', receiptId: '收入',
  movementId: '保费收支', projectVillageId: '项目村', counterpartPolicyId: '对方保单', toPolicyId: '转入保单',
  householdVillageId: '农户所在村', voidTransactionId: '作废冲销凭证', voucherId: '凭证草稿', attachmentId: '原始凭证', subjectId: '附属记录',
};

/** A long id (a UUID) by its first 8 characters. */
const shortId = (id) => (id && id.length > 12 ? id.slice(0, 8) : id ?? '—');

export default {
  title: '审计',
  permission: 'report',
  async render(main, ctx) {
    const funds = await ctx.funds();
    const parts = [h('h1', {}, '审计')];
    parts.push(funds.length ? await verification(ctx) : section('基金核验', h('p', { class: 'empty' }, '本密钥管辖范围内还没有基金。')));
    if (ctx.me.permissions.includes('audit')) parts.push(auditLog(ctx, await knownNames(ctx)));
    else parts.push(h('p', { class: 'hint' }, '审计日志仅审计员可查阅。'));
    clear(main, ...parts);
  },
};

// ——— 基金核验 ———

async function verification(ctx) {
  ctx.state.anchors ??= {};
  const result = h('div', { role: 'status' });
  const at = h('input', { name: 'at', type: 'number', min: 1, step: 1, inputmode: 'numeric', autocomplete: 'off' });
  const hash = h('input', { name: 'hash', autocomplete: 'off', spellcheck: false, size: 40, placeholder: '上次记下的链头哈希（可不填）' });
  const fund = await ctx.fundPicker(() => { clear(result); fillAnchor(); });
  const fillAnchor = () => {
    const anchor = ctx.state.anchors[fund.value];
    at.value = anchor ? String(anchor.at) : '';
    hash.value = anchor ? anchor.hash : '';
  };
  fillAnchor();
  const form = h(
    'form',
    { class: 'inline', onsubmit: (event) => { event.preventDefault(); run(); } },
    field('fundId', '基金', fund),
    field('at', '位置（可不填）', at),
    field('hash', '链头哈希（可不填）', hash),
    h('button', { type: 'submit', class: 'primary' }, '校验'),
  );

  async function run() {
    showError(form, null);
    clear(result, h('p', { class: 'loading' }, '正在校验…（重算全部分录，可能需要一些时间）'));
    try {
      const position = at.value.trim();
      const recorded = hash.value.trim().toLowerCase();
      if (position && !/^[1-9]\d*$/.test(position)) throw fieldError('at', '位置应为正整数。');
      if (position && !recorded) throw fieldError('hash', '填了位置，也请填该位置记下的链头哈希。');
      if (recorded && !position) throw fieldError('at', '填了哈希，也请填它对应的位置（上次校验的凭证数）。');
      const answer = await api.get(`/v1/funds/${encodeURIComponent(fund.value)}/verify`, position ? { at: position, hash: recorded } : {});
      clear(result, ...report(answer));
    } catch (error) {
      clear(result);
      showError(form, error);
    }
  }

  const checkTitles = { chain: '哈希链', voucher_numbers: '凭证编号', balances: '余额重算', lines: '分录与科目', records: '业务记录的凭证' };

  function report(v) {
    const intact = v.status === 'intact';
    const keep = () => {
      ctx.state.anchors[v.fundId] = { at: v.transactions, hash: v.headHash };
      fillAnchor();
    };
    return [
      h(
        'p',
        { class: intact ? 'notice' : 'form-error' },
        intact
          ? '完好：凭证哈希链完整，凭证编号连续，各科目余额与分录重算一致，分录与业务记录所指凭证俱在。'
          : '已损坏：账簿与其哈希链、凭证编号、分录或业务记录不一致，请立即报告。',
      ),
      // Text, not amounts: each in a node, as figures() formats a string as money.
      figures(
        [
          ['校验结果', intact ? '完好' : '已损坏'],
          ['已校验凭证（链长）', `${v.transactions} 笔`],
          ['未上链的凭证', `${v.unlinkedTransactions} 笔`],
          ['余额重算', v.balanceMismatches.length ? `${v.balanceMismatches.length} 处不一致` : '一致'],
        ].map(([k, x]) => [k, h('span', {}, x)]),
      ),
      h('p', {}, '链头哈希：', h('code', {}, v.headHash ?? '（该基金还没有凭证）')),
      v.headHash
        ? h(
            'p',
            { class: 'hint' },
            `请记下“位置 ${v.transactions}，链头哈希 ${v.headHash}”；下次校验时填回，可确认此前的记录未被改写。 `,
            h('button', { type: 'button', class: 'link', onclick: keep }, '填入下次校验'),
          )
        : null,
      v.anchor
        ? h(
            'p',
            { class: v.anchor.matches ? 'notice' : 'form-error' },
            v.anchor.matches
              ? `锚点相符：链仍经过位置 ${v.anchor.position}（${v.anchor.hash}），此前的记录未被改写。`
              : `锚点不符：位置 ${v.anchor.position} 的哈希不再是 ${v.anchor.hash}，此前的记录被改写过。`,
          )
        : null,
      v.firstBroken
        ? h(
            'div',
            {},
            h('h3', {}, '第一处断裂'),
            table(
              [
                { title: '凭证号', class: 'num', value: (b) => (b.number === null ? '（凭证已不存在）' : String(b.number)) },
                { title: '链上位置', class: 'num', value: (b) => (b.position === null ? '（未上链）' : String(b.position)) },
                { title: '原因', value: (b) => b.reason },
                { title: '凭证 ID', value: (b) => h('code', {}, b.transactionId) },
              ],
              [v.firstBroken],
            ),
          )
        : null,
      h('h3', {}, '各项检查'),
      table(
        [
          { title: '检查', value: (c) => checkTitles[c.name] ?? c.name },
          { title: '结果', value: (c) => (c.result === 'passed' ? '通过' : '未通过') },
          { title: '问题', class: 'num', value: (c) => `${c.findingCount} 处` },
          { title: '所见', value: (c) => c.summary },
        ],
        v.checks,
      ),
      v.checks.some((c) => c.findingCount)
        ? h(
            'div',
            {},
            h('h3', {}, '发现的问题（每项检查至多列出前 100 处）'),
            table(
              [
                { title: '检查', value: (f) => checkTitles[f.check] ?? f.check },
                { title: '问题', value: (f) => h('code', {}, f.problem) },
                { title: '说明', value: (f) => f.message },
              ],
              v.checks.flatMap((c) => c.findings.map((f) => ({ ...f, check: c.name }))),
            ),
          )
        : null,
      v.balanceMismatches.length
        ? h(
            'div',
            {},
            h('h3', {}, '与分录重算不一致的数字'),
            table(
              [
                { title: '检查项', value: (m) => m.invariant },
                { title: '详情', value: (m) => h('code', {}, JSON.stringify(m.detail)) },
              ],
              v.balanceMismatches,
            ),
          )
        : null,
    ];
  }

  return section(
    '基金核验',
    h(
      'p',
      { class: 'hint' },
      '校验基金的凭证哈希链和凭证编号，用全部分录重算余额，并核对分录与业务记录所指的凭证都在。可填入上次校验记下的位置和链头哈希，确认链仍经过该点。',
    ),
    form,
    result,
  );
}

// ——— 审计日志 ———

/**
 * The names of what a write may concern, by id, from the lists the key may read: a target shows as
 * 基金 青山乡防止返贫专项基金 rather than 基金 3f2b8c1d. What no list names (a voucher, a payment) keeps its id.
 */
async function knownNames(ctx) {
  const names = new Map();
  const lists = await Promise.allSettled([
    ctx.funds().then((list) => list.map((f) => [f.id, f.name])),
    api.all('/v1/villages').then((list) => list.map((v) => [v.id, v.name])),
    api.all('/v1/industries').then((list) => list.map((i) => [i.id, i.name])),
    // Admin keys only: an auditor's audit log names keys by the actor's name it carries.
    ctx.me.permissions.includes('admin') ? api.all('/v1/api-keys').then((list) => list.map((k) => [k.id, k.name])) : [],
  ]);
  for (const outcome of lists) if (outcome.status === 'fulfilled') for (const [id, name] of outcome.value) names.set(id, name);
  return names;
}

function auditLog(ctx, names) {
  const saved = ctx.state.auditFilter ?? {};
  const outcome = select('outcome', [{ value: '', text: '全部' }, { value: 'succeeded', text: '成功' }, { value: 'refused', text: '被拒绝' }], saved.outcome ?? '');
  const route = select('route', [{ value: '', text: '全部操作' }, ...Object.entries(ROUTES).map(([k, text]) => ({ value: k.split(' ')[1], text }))], saved.route ?? '');
  const actorId = h('input', { name: 'actorId', autocomplete: 'off', spellcheck: false, placeholder: '密钥 ID', value: saved.actorId ?? '' });
  const targetId = h('input', { name: 'targetId', autocomplete: 'off', spellcheck: false, placeholder: '基金、凭证、农户等的 ID', value: saved.targetId ?? '' });
  const from = dateInput({ name: 'from', value: saved.from ?? '' });
  const to = dateInput({ name: 'to', value: saved.to ?? '' });
  const list = h('div', {});
  const form = h(
    'form',
    { class: 'inline', onsubmit: (event) => { event.preventDefault(); load(); } },
    field('outcome', '结果', outcome),
    field('route', '操作', route),
    field('actorId', '操作人（密钥 ID）', actorId),
    field('targetId', '涉及对象 ID', targetId),
    field('from', '起始日期', from),
    field('to', '截止日期', to),
    h('button', { type: 'submit', class: 'primary' }, '查询'),
    h('button', { type: 'button', onclick: () => { for (const c of [outcome, route, actorId, targetId, from, to]) c.value = ''; load(); } }, '清除条件'),
  );
  const filterBy = (control, value) => { control.value = value; load(); };

  function load() {
    showError(form, null);
    const query = { outcome: outcome.value, route: route.value, actorId: actorId.value.trim(), targetId: targetId.value.trim(), from: from.value, to: to.value };
    ctx.state.auditFilter = query;
    if (query.targetId && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(query.targetId)) {
      return showError(form, fieldError('targetId', '对象 ID 应为完整的 UUID（形如 3f2b…-…）。'));
    }
    clear(
      list,
      pager(
        // A refused filter is shown beside its field in the form, the list left empty.
        (cursor) => api.get('/v1/audit-log', { ...query, limit: 20, cursor }),
        (items) =>
          table(
            [
              { title: '时间', value: (e) => localTime(e.at) },
              {
                title: '操作人',
                value: (e) =>
                  e.actorId
                    ? h(
                        'button',
                        { type: 'button', class: 'link', title: `只看 ${e.actorName ?? e.actorId} 的操作`, onclick: () => filterBy(actorId, e.actorId) },
                        `${label('role', e.actorRole)} ${e.actorName ?? shortId(e.actorId)}`,
                      )
                    : '（未认证）',
              },
              { title: '操作', value: (e) => [ROUTES[`${e.method} ${e.route}`] ?? `${e.method} ${e.route ?? e.path}`, h('br'), h('small', { class: 'hint' }, `${e.method} ${e.path}`)] },
              {
                title: '涉及对象',
                value: (e) =>
                  Object.entries(e.targetIds).map(([name, id]) =>
                    h('button', { type: 'button', class: 'link', title: `只看涉及 ${id} 的操作`, onclick: () => filterBy(targetId, id) }, `${ID_NAMES[name] ?? '对象'} ${names.get(id) ?? shortId(id)}`),
                  ),
              },
              {
                title: '结果',
                value: (e) =>
                  e.outcome === 'succeeded'
                    ? `成功（${e.status}）${e.replayed ? '，重复提交：未重复记账' : ''}`
                    : h('span', { class: 'field-error' }, `被拒绝（${e.status}）${e.errorCode ? `：${plainMessage({ code: e.errorCode, problem: { detail: e.errorCode } })}` : ''}`),
              },
              { title: '请求号', value: (e) => h('small', { title: e.requestId }, shortId(e.requestId)) },
              { title: '来源地址', value: (e) => e.clientAddress ?? '—' },
            ],
            items,
            { empty: '没有符合条件的记录。' },
          ),
        { form },
      ),
    );
  }
  load();
  return section('审计日志', h('p', { class: 'hint' }, '每一次写操作（成功或被拒绝）一条记录，最新的在前；只记录 ID，不记录请求内容。点操作人或对象可只看与之相关的记录。'), form, list);
}
