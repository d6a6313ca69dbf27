# Draft: awaits review by a native Burmese speaker before use with children. Keys not listed
# here fall back to English.
sr-title = သင့်ဓာတ်ပုံကို ကာကွယ်ပါ
sr-languages = ဘာသာစကားများ
sr-sent-title = ပေးပို့သည့်အရာ -
sr-sent = ဤစက်ပေါ်တွင် ပြုလုပ်ထားသော ဓာတ်ပုံတစ်ပုံချင်းစီ၏ ဒစ်ဂျစ်တယ်လက်ဗွေ (hash) သာ ဖြစ်သည်။
sr-not-sent-title = မပေးပို့သည့်အရာ -
sr-not-sent = သင့်ဓာတ်ပုံနှင့် ဗီဒီယိုများ ကိုယ်တိုင်။ ၎င်းတို့သည် ဤစက်မှ ဘယ်တော့မှ မထွက်ခွာပါ။
sr-case-number = ကိစ္စနံပါတ်
sr-pin = PIN နံပါတ်
# A link that leaves at once for a neutral site.
sr-quick-exit = ဤဆိုက်မှ အမြန်ထွက်ရန်
