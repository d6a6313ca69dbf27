# Draft: awaits review by a native Khmer speaker before use with children. Keys not listed here
# fall back to English.
sr-title = ការពាររូបភាពរបស់អ្នក
sr-languages = ភាសា
sr-sent-title = អ្វីដែលត្រូវបានផ្ញើ៖
sr-sent = មានតែស្នាមម្រាមដៃឌីជីថល (hash) នៃរូបភាពនីមួយៗ ដែលបង្កើតនៅលើឧបករណ៍នេះប៉ុណ្ណោះ។
sr-not-sent-title = អ្វីដែលមិនត្រូវបានផ្ញើ៖
sr-not-sent = រូបភាព និងវីដេអូរបស់អ្នកផ្ទាល់។ វាមិនចាកចេញពីឧបករណ៍នេះទេ។
sr-case-number = លេខករណី
sr-pin = លេខ PIN
# A link that leaves at once for a neutral site.
sr-quick-exit = ចាកចេញពីគេហទំព័រនេះភ្លាមៗ
