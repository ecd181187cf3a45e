"""Code tables printed on and stored in ID cards: gender (GB/T 2261.1) and nation (GB 3304).

Nation names are kept as the card prints them (汉, 蒙古, ...); `Nation.full_name`
adds 族 where the standard does.
"""

from __future__ import annotations

from dataclasses import dataclass

#: GB/T 2261.1-2003 human sex codes.
GENDERS: dict[str, str] = {
    "0": "未知的性别",
    "1": "男",
    "2": "女",
    "9": "未说明的性别",
}

#: English names for the gender codes (the officer's console may run in English).
GENDERS_EN: dict[str, str] = {"0": "unknown", "1": "male", "2": "female", "9": "unstated"}

#: GB 3304-1991 nation codes, with the names as printed on the resident ID card.
NATIONS: dict[str, str] = {
    "01": "汉",
    "02": "蒙古",
    "03": "回",
    "04": "藏",
    "05": "维吾尔",
    "06": "苗",
    "07": "彝",
    "08": "壮",
    "09": "布依",
    "10": "朝鲜",
    "11": "满",
    "12": "侗",
    "13": "瑶",
    "14": "白",
    "15": "土家",
    "16": "哈尼",
    "17": "哈萨克",
    "18": "傣",
    "19": "黎",
    "20": "傈僳",
    "21": "佤",
    "22": "畲",
    "23": "高山",
    "24": "拉祜",
    "25": "水",
    "26": "东乡",
    "27": "纳西",
    "28": "景颇",
    "29": "柯尔克孜",
    "30": "土",
    "31": "达斡尔",
    "32": "仫佬",
    "33": "羌",
    "34": "布朗",
    "35": "撒拉",
    "36": "毛南",
    "37": "仡佬",
    "38": "锡伯",
    "39": "阿昌",
    "40": "普米",
    "41": "塔吉克",
    "42": "怒",
    "43": "乌孜别克",
    "44": "俄罗斯",
    "45": "鄂温克",
    "46": "德昂",
    "47": "保安",
    "48": "裕固",
    "49": "京",
    "50": "塔塔尔",
    "51": "独龙",
    "52": "鄂伦春",
    "53": "赫哲",
    "54": "门巴",
    "55": "珞巴",
    "56": "基诺",
    "97": "其他",
    "98": "外国血统中国籍人士",
}


@dataclass(frozen=True)
class Gender:
    """A gender as code (GB/T 2261.1) and Chinese name."""

    code: str
    name: str

    @classmethod
    def from_code(cls, code: str) -> Gender:
        """The gender for `code`; KeyError for a code outside the table."""
        return cls(code, GENDERS[code])

    @property
    def name_en(self) -> str:
        """The English name of this gender."""
        return GENDERS_EN[self.code]


@dataclass(frozen=True)
class Nation:
    """A nation (民族) as two-digit code (GB 3304) and the name printed on the card."""

    code: str
    name: str

    @classmethod
    def from_code(cls, code: str) -> Nation:
        """The nation for `code`; KeyError for a code outside the table."""
        return cls(code, NATIONS[code])

    @property
    def full_name(self) -> str:
        """The standard's full name: 汉族, 蒙古族, ...; 97 and 98 stay as they are."""
        return self.name if self.code in ("97", "98") else f"{self.name}族"
