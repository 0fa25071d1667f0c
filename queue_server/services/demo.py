"""The demo town hall, built after the guideline: 综合窗口, 固定窗口, 机动窗口, a village station."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from ..domain.model import (
    Category,
    Clerk,
    Hall,
    HallKind,
    Post,
    Role,
    ServiceItem,
    Window,
    WindowPost,
    WindowStatus,
    WindowType,
    new_hall_settings,
)
from ..store import tables
from .auth import hash_password, register_device
from .context import SYSTEM, Deps, audit
from .unit_of_work import unit_of_work

DEFAULT_HOURS: dict[str, Any] = {
    "timezone": "Asia/Shanghai",
    "regular": [
        {"weekdays": [1, 2, 3, 4, 5], "start": "09:00", "end": "12:00"},
        {"weekdays": [1, 2, 3, 4, 5], "start": "13:30", "end": "17:00"},
    ],
    # 5+X: Saturday mornings.
    "extra_days": [{"weekdays": [6], "start": "09:00", "end": "12:00"}],
    # 延时服务: Tuesday and Thursday evenings, by appointment only.
    "extended": [{"weekdays": [2, 4], "start": "17:00", "end": "19:00", "appointment_only": True}],
}

CATEGORIES = [
    # prefix, name, name_en, target wait, default service minutes
    ("A", "综合受理", "General services", 20, 8),
    ("B", "社会保险", "Social insurance", 20, 6),
    ("C", "医疗保险", "Medical insurance", 20, 6),
    ("D", "户籍办理", "Household registration", 25, 10),
    ("E", "不动产登记", "Real estate registration", 30, 15),
    ("F", "居民医保缴费", "Resident medical-insurance payment", 15, 3),
]

# prefix, code, name, English name, department, days, materials, village proxy
ITEMS: list[tuple[str, str, str, str, str, int, list[str], bool]] = [
    (
        "A",
        "370800-MZ-001",
        "最低生活保障申请",
        "Minimum living allowance application",
        "民政办",
        20,
        ["居民身份证", "户口簿", "家庭收入情况声明", "家庭财产状况证明"],
        True,
    ),
    (
        "A",
        "370800-MZ-002",
        "残疾人两项补贴申请",
        "Disability living and care allowances application",
        "残联",
        15,
        ["居民身份证", "残疾人证", "银行卡或存折"],
        True,
    ),
    (
        "A",
        "370800-MZ-003",
        "高龄津贴申请",
        "Old-age allowance application",
        "民政办",
        10,
        ["居民身份证", "户口簿", "银行卡"],
        True,
    ),
    (
        "A",
        "370800-MZ-004",
        "临时救助申请",
        "Temporary assistance application",
        "民政办",
        10,
        ["居民身份证", "困难情况说明", "相关证明材料"],
        True,
    ),
    (
        "B",
        "370800-SB-001",
        "城乡居民基本养老保险参保登记",
        "Resident basic pension insurance enrolment",
        "社保所",
        0,
        ["居民身份证", "户口簿"],
        True,
    ),
    (
        "B",
        "370800-SB-002",
        "城乡居民养老保险待遇领取",
        "Resident pension benefit claim",
        "社保所",
        5,
        ["居民身份证", "社会保障卡"],
        True,
    ),
    (
        "B",
        "370800-SB-003",
        "社会保障卡申领",
        "Social security card application",
        "社保所",
        0,
        ["居民身份证", "近期免冠照片"],
        True,
    ),
    (
        "C",
        "370800-YB-001",
        "城乡居民基本医疗保险参保登记",
        "Resident basic medical insurance enrolment",
        "医保站",
        0,
        ["居民身份证", "户口簿"],
        True,
    ),
    (
        "C",
        "370800-YB-002",
        "医疗费用手工报销",
        "Medical expenses reimbursement (paper claim)",
        "医保站",
        15,
        ["社会保障卡", "医疗费用发票", "费用明细清单", "出院记录"],
        False,
    ),
    (
        "D",
        "370800-HJ-001",
        "出生登记",
        "Birth registration",
        "派出所",
        0,
        ["出生医学证明", "父母户口簿", "父母身份证"],
        False,
    ),
    (
        "D",
        "370800-HJ-002",
        "户口迁移",
        "Moving household registration (hukou)",
        "派出所",
        5,
        ["居民身份证", "户口簿", "准予迁入证明"],
        False,
    ),
    (
        "E",
        "370800-BDC-001",
        "不动产登记信息查询",
        "Real estate registration records enquiry",
        "不动产登记中心",
        0,
        ["居民身份证"],
        False,
    ),
    (
        "E",
        "370800-BDC-002",
        "不动产转移登记",
        "Real estate transfer registration",
        "不动产登记中心",
        5,
        ["不动产权证书", "买卖合同", "双方身份证", "完税凭证"],
        False,
    ),
    (
        "F",
        "370800-YB-003",
        "城乡居民医保年度缴费",
        "Resident medical insurance annual payment",
        "医保站",
        0,
        ["居民身份证或社会保障卡"],
        True,
    ),
]

# English for the kiosk's English mode
DEPARTMENTS_EN = {
    "民政办": "Civil Affairs Office",
    "残联": "Disabled Persons' Federation",
    "社保所": "Social Security Office",
    "医保站": "Medical Insurance Office",
    "派出所": "Police Station",
    "不动产登记中心": "Real Estate Registration Centre",
}
MATERIALS_EN = {
    "居民身份证": "Resident ID card",
    "户口簿": "Household register (hukou booklet)",
    "家庭收入情况声明": "Statement of household income",
    "家庭财产状况证明": "Proof of household assets",
    "残疾人证": "Disability certificate",
    "银行卡或存折": "Bank card or passbook",
    "银行卡": "Bank card",
    "困难情况说明": "Statement of the hardship",
    "相关证明材料": "Supporting documents",
    "社会保障卡": "Social security card",
    "近期免冠照片": "Recent photo, bareheaded",
    "医疗费用发票": "Invoices of the medical expenses",
    "费用明细清单": "Itemised list of the expenses",
    "出院记录": "Hospital discharge record",
    "出生医学证明": "Medical birth certificate",
    "父母户口簿": "Parents' household register",
    "父母身份证": "Parents' ID cards",
    "准予迁入证明": "Permit to move in",
    "不动产权证书": "Real estate title certificate",
    "买卖合同": "Sales contract",
    "双方身份证": "ID cards of both parties",
    "完税凭证": "Tax payment receipt",
    "居民身份证或社会保障卡": "Resident ID card or social security card",
}

# number, name, type, category prefixes in order
WINDOWS = [
    (1, "综合窗口", WindowType.COMPREHENSIVE, []),
    (2, "综合窗口", WindowType.COMPREHENSIVE, []),
    (3, "综合窗口", WindowType.COMPREHENSIVE, []),
    (4, "社保窗口", WindowType.FIXED, ["B", "C"]),
    (5, "医保窗口", WindowType.FIXED, ["C", "B"]),
    (6, "户籍窗口", WindowType.FIXED, ["D"]),
    (7, "不动产窗口", WindowType.FIXED, ["E"]),
    (8, "医保缴费窗口", WindowType.FLEXIBLE, ["F", "C"]),
]

CLERK_NAMES = ["王芳", "李强", "张敏", "刘洋", "陈静", "杨磊", "赵丽", "黄伟", "周婷", "吴刚"]
DEPARTMENTS = {
    1: "便民服务中心",
    4: "社保所",
    5: "医保站",
    6: "派出所",
    7: "不动产登记中心",
    8: "医保站",
}
TOWN_NAMES = [
    ("兴隆镇", "Xinglong Town"),
    ("安居镇", "Anju Town"),
    ("长沟镇", "Changgou Town"),
    ("南阳镇", "Nanyang Town"),
    ("唐口街道", "Tangkou Subdistrict"),
    ("喻屯镇", "Yutun Town"),
    ("石桥镇", "Shiqiao Town"),
    ("黄屯镇", "Huangtun Town"),
]


def demo_password(staff_no: str) -> str:
    """The demo's well-known password for a staff number (demo data only)."""
    return f"hallq-demo-{staff_no}"


def database_is_empty(deps: Deps) -> bool:
    """Whether no hall exists yet."""
    with deps.db.reading() as session:
        return not session.scalar(select(func.count()).select_from(tables.halls))


ADMIN_STAFF_NO = "admin"


def seed_demo(deps: Deps, halls: int = 1, printer_url: str | None = None) -> list[dict[str, Any]]:
    """Create `halls` demo town halls, each with a village station; return their credentials
    (with the system admin's, who is added once)."""
    seeded = [_seed_town(deps, printer_url) for _ in range(halls)]
    admin = _seed_admin(deps, seeded[0]["hall"]) if seeded else None
    for hall in seeded:
        hall["admin"] = admin
    return seeded


def _seed_admin(deps: Deps, hall_id: int) -> dict[str, Any]:
    """The demo's system admin (管理后台: every hall), staff number "admin"."""
    with unit_of_work(deps) as uow:
        s = uow.session
        exists = s.scalar(
            select(tables.clerks.c.id).where(tables.clerks.c.staff_no == ADMIN_STAFF_NO)
        )
        if exists is None:
            s.add(
                Clerk(
                    hall_id=hall_id,
                    staff_no=ADMIN_STAFF_NO,
                    name="系统管理员",
                    role=Role.ADMIN,
                    department="政务服务管理办公室",
                    password_hash=hash_password(demo_password(ADMIN_STAFF_NO)),
                )
            )
    return {"staff_no": ADMIN_STAFF_NO, "password": demo_password(ADMIN_STAFF_NO)}


def _seed_town(deps: Deps, printer_url: str | None) -> dict[str, Any]:
    now = deps.clock.now()
    with unit_of_work(deps) as uow:
        s = uow.session
        count = s.scalar(select(func.count()).select_from(tables.halls)) or 0
        town_name, town_en = TOWN_NAMES[(count // 2) % len(TOWN_NAMES)]
        suffix = f"（{count // 2 + 1}）" if count >= 2 * len(TOWN_NAMES) else ""
        hall = Hall(
            name=f"{town_name}便民服务中心{suffix}",
            name_en=f"{town_en} Public Service Centre",
            kind=HallKind.TOWN,
            hours=DEFAULT_HOURS,
            settings=new_hall_settings(),
            notice=(
                "本中心实行“一窗受理、集成服务”，首问负责、一次性告知、限时办结。"
                "老年人、残疾人、孕妇、军人请走绿色通道。村（社区）便民服务站可免费代办。"
                "办事结束请对我们的服务进行评价。"
            ),
        )
        s.add(hall)
        s.flush()
        hall_id = hall.id or 0
        categories: dict[str, Category] = {}
        for order, (prefix, name, name_en, target, minutes) in enumerate(CATEGORIES):
            cat = Category(
                hall_id=hall_id,
                prefix=prefix,
                name=name,
                name_en=name_en,
                target_wait_minutes=target,
                default_service_minutes=minutes,
                sort_order=order,
            )
            s.add(cat)
            categories[prefix] = cat
        s.flush()
        for prefix, code, name, name_en, department, days, materials, proxy in ITEMS:
            s.add(
                ServiceItem(
                    hall_id=hall_id,
                    category_id=categories[prefix].id,
                    code=code,
                    name=name,
                    name_en=name_en,
                    item_type="公共服务" if proxy else "行政确认",
                    legal_basis="依据国家和省有关规定",
                    time_limit_days=days,
                    conditions="本辖区户籍居民或常住居民",
                    steps=["申请", "受理", "审核", "办结"],
                    materials=materials,
                    fee="不收费",
                    department=department,
                    village_proxy=proxy,
                    online=proxy,
                    conditions_en="Residents registered or living in this area",
                    steps_en=["Apply", "Accepted", "Reviewed", "Completed"],
                    materials_en=[MATERIALS_EN[material] for material in materials],
                    fee_en="No fee",
                    department_en=DEPARTMENTS_EN[department],
                )
            )
        clerks: list[Clerk] = []
        for k, clerk_name in enumerate(CLERK_NAMES[: len(WINDOWS)], start=1):
            staff_no = f"{hall_id:02d}{k:02d}"
            clerk = Clerk(
                hall_id=hall_id,
                staff_no=staff_no,
                name=clerk_name,
                role=Role.CLERK,
                department=DEPARTMENTS.get(k, "便民服务中心"),
                password_hash=hash_password(demo_password(staff_no)),
            )
            s.add(clerk)
            clerks.append(clerk)
        manager_no = f"{hall_id:02d}90"
        manager = Clerk(
            hall_id=hall_id,
            staff_no=manager_no,
            name="孙主任",
            role=Role.MANAGER,
            department="便民服务中心",
            password_hash=hash_password(demo_password(manager_no)),
        )
        s.add(manager)
        s.flush()
        windows: list[Window] = []
        for number, name, wtype, prefixes in WINDOWS:
            window = Window(
                hall_id=hall_id,
                number=number,
                name=name,
                type=wtype,
                category_ids=[categories[p].id or 0 for p in prefixes],
                status=WindowStatus.CLOSED,
            )
            s.add(window)
            windows.append(window)
        s.flush()
        # AB岗: each clerk holds the A post of their window and the B post of the next one.
        for index, window in enumerate(windows):
            s.add(WindowPost(window_id=window.id or 0, post=Post.A, clerk_id=clerks[index].id or 0))
            backup = clerks[(index + 1) % len(clerks)]
            s.add(WindowPost(window_id=window.id or 0, post=Post.B, clerk_id=backup.id or 0))

        village = Hall(
            name=f"{town_name}李家村便民服务站",
            name_en=f"Lijia Village Service Station, {town_en}",
            kind=HallKind.VILLAGE,
            parent_id=hall_id,
            hours=DEFAULT_HOURS,
            settings=new_hall_settings(),
            notice="本站提供社保、医保、民政等事项的咨询和免费代办服务。",
        )
        s.add(village)
        s.flush()
        village_cat = Category(
            hall_id=village.id or 0, prefix="A", name="代办服务", name_en="Proxy services"
        )
        s.add(village_cat)
        s.flush()
        agent_no = f"{hall_id:02d}80"
        agent = Clerk(
            hall_id=village.id or 0,
            staff_no=agent_no,
            name="李代办",
            role=Role.AGENT,
            department="李家村便民服务站",
            password_hash=hash_password(demo_password(agent_no)),
        )
        s.add(agent)
        s.flush()
        village_window = Window(
            hall_id=village.id or 0,
            number=1,
            name="代办窗口",
            type=WindowType.COMPREHENSIVE,
            category_ids=[],
            status=WindowStatus.CLOSED,
        )
        s.add(village_window)
        s.flush()
        s.add(WindowPost(window_id=village_window.id or 0, post=Post.A, clerk_id=agent.id or 0))
        audit(s, at=now, actor=SYSTEM, action="demo.seed", hall_id=hall_id, subject=hall.name)
        result_clerks = [
            {
                "staff_no": clerks[i].staff_no,
                "password": demo_password(clerks[i].staff_no),
                "name": clerks[i].name,
                "window": windows[i].id,
                "window_number": windows[i].number,
            }
            for i in range(len(windows))
        ]
        category_ids = {p: c.id for p, c in categories.items()}
        village_id = village.id
    kiosk_id, kiosk_token = register_device(
        deps,
        hall_id,
        "kiosk",
        "大厅自助取号机",
        config={"printer": printer_url or "dummy://", "paper_mm": 80},
    )
    # The village station takes numbers too: its own kiosk (the agent's window calls them).
    village_kiosk_id, village_kiosk_token = register_device(
        deps,
        village_id or 0,
        "kiosk",
        "李家村便民服务站自助取号机",
        config={"printer": "dummy://", "paper_mm": 80},
    )
    return {
        "hall": hall_id,
        "name": hall.name,
        "kiosk_token": kiosk_token,
        "kiosk_id": kiosk_id,
        "village_kiosk_token": village_kiosk_token,
        "village_kiosk_id": village_kiosk_id,
        "clerks": result_clerks,
        "manager": {"staff_no": manager_no, "password": demo_password(manager_no)},
        "agent": {"staff_no": agent_no, "password": demo_password(agent_no), "hall": village_id},
        "village": village_id,
        "categories": category_ids,
    }
