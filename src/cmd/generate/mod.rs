//! `kaohe generate`: the deterministic samples, kept out of the library. One random
//! source and one list of names serve all of them, so the same seed always gives the
//! same bytes: the bundled 汉滨 sample (`district`), the 南通 datasets (`nantong`,
//! `city`) and the benchmark workload (`province`).

pub mod district;
pub mod nantong;
pub mod province;

use std::process::ExitCode;

use kaohe::cli::GenerateArgs;
use kaohe::error::Error;

/// splitmix64: small, fast, and its output never changes with a crate upgrade.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Place and person names the samples draw from.
pub const VILLAGE_STEMS: &[&str] = &[
    "王家", "李家", "张家", "刘家", "陈家", "杨家", "黄家", "赵家", "周家", "吴家", "石门", "双庙", "新民", "红旗",
    "光明", "团结", "和平", "胜利", "东风", "前进", "友谊", "长岭", "柳树", "桃园", "花园", "金星", "龙泉", "青山",
    "白鹤", "黄荆", "马鞍", "松树", "竹林", "梨树", "枫树", "清泉", "凤凰", "五星", "联合", "大湾",
];
pub const VILLAGE_ENDS: &[&str] = &["村", "河村", "沟村", "湾村", "岭村", "坝村", "坪村"];
pub const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马",
    "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "邓", "曹", "彭",
];
pub const GIVEN: &[&str] = &[
    "明", "华", "军", "平", "芳", "兰", "英", "红", "伟", "强", "丽", "建", "国", "秀", "玉", "成", "文", "春", "海",
    "云", "东", "林", "新", "志", "德", "永", "梅", "桂", "金", "荣",
];

/// A person's name: a surname and one or two given characters.
pub fn person_name(rng: &mut Rng) -> String {
    let n = if rng.chance(700) { 2 } else { 1 };
    let mut s = rng.pick(SURNAMES).to_string();
    for _ in 0..n {
        s.push_str(rng.pick(GIVEN));
    }
    s
}

/// Write the chosen sample into `args.out`.
pub fn generate(args: GenerateArgs) -> Result<ExitCode, Error> {
    use kaohe::cli::Workload;
    if args.workload == Workload::Province {
        let shape =
            province::Shape { counties: args.counties, rows_per_county: args.rows_per_county, ..province::PROVINCE };
        let s =
            province::generate(&args.out, args.seed, shape).map_err(|e| Error::Usage(format!("无法生成样例：{e}")))?;
        out!("{}: {} 个县，{} 个名册文件，{} 行，{} 字节", args.out.display(), s.programmes, s.files, s.rows, s.bytes);
        return Ok(ExitCode::SUCCESS);
    }
    if args.workload != Workload::District {
        let per_pair = if args.workload == Workload::City { 9_400 } else { 1_400 };
        let s = nantong::generate(&args.out, args.seed, per_pair)
            .map_err(|e| Error::Usage(format!("无法生成样例：{e}")))?;
        out!("{}: {} 个文件，理赔台账 {} 行，{} 字节", args.out.display(), s.files, s.claims, s.bytes);
        return Ok(ExitCode::SUCCESS);
    }
    let s =
        district::generate_district(&args.out, args.seed).map_err(|e| Error::Usage(format!("无法生成样例：{e}")))?;
    out!(
        "{}: {} 个村，{} 个名册文件，{} 行，{} 字节；无效身份证 {}，文件内重复 {}，跨文件重复 {}，未知村 {}，空白单元格 {}，逾期 {}",
        args.out.display(),
        s.villages,
        s.files,
        s.roster_rows,
        s.bytes,
        s.invalid_ids,
        s.duplicates_within,
        s.duplicates_across,
        s.unknown_villages,
        s.blank_cells,
        s.late
    );
    Ok(ExitCode::SUCCESS)
}
