/* Generated from queue_server/domain/model.py by `python -m queue_server.web.labels`:
   the one name of each ticket state and priority. Do not edit by hand. */
window.HallqLabels = {
  "states": {
    "waiting": ["等候中", "Waiting"],
    "called": ["已叫号", "Called"],
    "serving": ["办理中", "Being served"],
    "held": ["暂离", "On hold"],
    "done": ["已办结", "Finished"],
    "no_show": ["已过号", "Missed"],
    "cancelled": ["已取消", "Cancelled"]
  },
  "priorities": {
    "none": ["普通", "Regular"],
    "elderly": ["老年人", "Elderly"],
    "disabled": ["残疾人", "Disabled"],
    "pregnant": ["孕妇", "Pregnant"],
    "military": ["军人", "Military"]
  }
};
